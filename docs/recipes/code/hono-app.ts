import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createSpool } from '@spool/server';
import { attach } from '@spool/server/node';
import { Hono } from 'hono';

/** A Hono app on Node that serves Spool next to its own routes. */
export function startHonoApp(port: number, onListening?: (port: number) => void) {
  const spool = createSpool();
  const app = new Hono();
  app.get('/', (c) => c.text('my app'));
  // Spool's HTTP API and SSE, at the paths of docs/http-api.md.
  app.all('/v1/*', (c) => spool.fetch(c.req.raw));
  app.get('/healthz', (c) => spool.fetch(c.req.raw));

  const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) =>
    onListening?.(info.port),
  ) as Server;
  // The WebSocket needs the node:http server itself: Spool takes only its upgrades.
  attach(spool, server, { requests: false });
  return { app, spool, server };
}
