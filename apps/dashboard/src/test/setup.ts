import { cleanup, configure } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { server } from './server';

// The machine runs several suites at once (2 cores): give `findBy*`/`waitFor` and whole
// user-event flows room, without sleeping anywhere.
configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 20_000 });

// A request no handler answers fails the test: every route a view calls is declared.
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  sessionStorage.clear();
  window.location.hash = '';
});
afterAll(() => server.close());
