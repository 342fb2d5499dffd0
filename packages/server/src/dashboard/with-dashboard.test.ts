import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { nodeListener } from '../http/node-bridge';
import { attach } from '../node/attach';
import { createSpoolInstance, type SpoolInstance } from '../spool';
import { withDashboard } from './with-dashboard';

let dir: string;
let spool: SpoolInstance;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spool-with-dash-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(
    join(dir, 'index.html'),
    '<!doctype html><div id="root"></div><script src="/assets/app-1.js"></script>',
  );
  await writeFile(join(dir, 'assets', 'app-1.js'), 'console.log("dashboard")');
  spool = createSpoolInstance();
});

afterEach(async () => {
  await spool.close();
  await rm(dir, { recursive: true, force: true });
});

const get = (path: string, method = 'GET') => new Request(`http://127.0.0.1${path}`, { method });

describe('withDashboard', () => {
  it('createSpoolInstance() alone serves no page at /: the embedding application opts in', async () => {
    expect((await spool.fetch(get('/'))).status).toBe(404);
    const handler = withDashboard(spool, { dir });
    const page = await handler(get('/'));
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await page.text()).toContain('id="root"');
  });

  it("serves the dashboard's files and its routes, and leaves the API to Spool", async () => {
    const handler = withDashboard(spool, { dir });
    const js = await handler(get('/assets/app-1.js'));
    expect([js.status, await js.text()]).toEqual([200, 'console.log("dashboard")']);
    // A route of the dashboard's own (hash routes aside) gets its index.html.
    expect(await (await handler(get('/overview'))).text()).toContain('id="root"');
    // The API keeps its answers, JSON errors included.
    expect(await (await handler(get('/healthz'))).json()).toEqual({ ok: true });
    const unknownApi = await handler(get('/v1/nope'));
    expect([
      unknownApi.status,
      ((await unknownApi.json()) as { error: { code: string } }).error.code,
    ]).toEqual([404, 'NOT_FOUND']);
    // Not a GET: not the dashboard's business.
    expect((await handler(get('/', 'POST'))).status).toBe(404);
  });

  it('on node:http next to the WebSocket endpoint, as the server README shows', async () => {
    const server = createServer(nodeListener(withDashboard(spool, { dir })));
    attach(spool, server, { requests: false });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect(await (await fetch(`http://${base}/`)).text()).toContain('id="root"');
      const ws = new WebSocket(`ws://${base}/v1/ws`, ['spool.v1']);
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      ws.close();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
