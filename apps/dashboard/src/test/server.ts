import { setupServer } from 'msw/node';

/** The msw server that stands in for the Spool HTTP API in component tests. */
export const server = setupServer();
