/**
 * `@spool/server/node` serving a public `Spool` (the object `createSpool` of the main entry
 * returns): the WebSocket transport is plugged in once per Spool however many servers it
 * is attached to, `stats()` counts its connections, a graceful close closes the open
 * sockets with 1001, and only a Spool of `createSpool` is accepted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from '../__tests__/helpers';
import { createSpool, type Spool } from '../create-spool';
import { internalsOf } from '../spool';
import { attach, listen } from './attach';
import { wsTransportOf } from './ws-transport';

const servers: Server[] = [];
const spools: Spool[] = [];
afterEach(async () => {
  for (const s of spools.splice(0)) await s.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function httpServer(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('the WebSocket transport of a Spool', () => {
  it('counts zero before any attach, and is the same adapter on every server it is attached to', async () => {
    const spool = createSpool();
    spools.push(spool);
    expect((await spool.stats()).connections).toEqual({ total: 0, ws: 0, sse: 0, lagging: 0 });
    expect(internalsOf(spool).transport('ws')).toBeUndefined();
    const a = await httpServer();
    const b = await httpServer();
    attach(spool, a.server);
    attach(spool, b.server);
    const adapter = wsTransportOf(spool);
    expect(internalsOf(spool).transport('ws')).toBe(adapter);
    const one = await TestClient.connect(`ws://127.0.0.1:${a.port}/v1/ws`);
    const two = await TestClient.connect(`ws://127.0.0.1:${b.port}/v1/ws`);
    expect(adapter.connections.size).toBe(2);
    const stats = await spool.stats();
    expect(stats.connections).toMatchObject({ total: 2, ws: 2, sse: 0 });
    expect(stats.connectionHealth).toHaveLength(2);
    await one.close();
    await two.close();
  });

  it('refuses a second transport under the same name, and any transport once closing', async () => {
    const spool = createSpool();
    const s = internalsOf(spool);
    const transport = {
      totals: () => ({ connections: 1, lagging: 0, delivered: 0, bytesOut: 0, lagCuts: 0 }),
      refuseNew: () => {},
      close: () => {},
    };
    expect(() => s.addTransport('sse', transport)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    const closing = spool.close();
    expect(() => s.addTransport('other', transport)).toThrow(
      expect.objectContaining({ code: 'UNAVAILABLE' }),
    );
    await closing;
  });

  it('closes the sockets of a listening Spool with 1001 when the Spool closes', async () => {
    const spool = createSpool();
    const served = await listen(spool, { host: '127.0.0.1', port: 0 });
    const client = await TestClient.connect(`${served.url.replace('http', 'ws')}/v1/ws`);
    const closing = served.close();
    expect((await client.closed).code).toBe(1001);
    await closing;
  });
});

describe('what the Node entry accepts', () => {
  it('refuses an object that is not a Spool of createSpool', () => {
    const fake = { fetch: async () => new Response(null) } as unknown as Spool;
    expect(() => wsTransportOf(fake)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => attach(fake, createServer())).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
