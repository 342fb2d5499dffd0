import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { SpoolError } from '@spool/core';
import type { Spool } from '../create-spool';
import { nodeListener } from '../http/node-bridge';
import { internalsOf } from '../spool';
import { installMetrics } from './install-metrics';
import { wsTransportOf } from './ws-transport';

const listeners = new WeakMap<Spool, (req: IncomingMessage, res: ServerResponse) => void>();

/**
 * The node:http `request` listener over `spool.fetch` (one per Spool, so `attach` can
 * remove it again). Failures that reach it are logged through the Spool's logger.
 *
 * @example http.createServer(requestListener(spool)).listen(8080, '127.0.0.1');
 */
export function requestListener(spool: Spool): (req: IncomingMessage, res: ServerResponse) => void {
  let listener = listeners.get(spool);
  if (!listener) {
    const s = internalsOf(spool);
    listener = nodeListener(spool.fetch, (err) => s.logger.error({ err }, 'request failed'));
    listeners.set(spool, listener);
  }
  return listener;
}

/**
 * A node:http `upgrade` handler: the WebSocket endpoint (`/v1/ws`), plugged into `spool`
 * on first use. Returns false for other paths, which another listener may serve.
 */
export function handleUpgrade(spool: Spool, req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
  return wsTransportOf(spool).handleUpgrade(req, socket, head);
}

/** Options of {@link listen}. */
export interface ListenOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** `0` picks a free port. @default 8080 */
  port?: number;
}

/** The defaults of {@link ListenOptions} (`spool serve` reads SPOOL_HOST / SPOOL_PORT over them). */
export const listenDefaults = Object.freeze({ host: '127.0.0.1', port: 8080 });

/** A listening server made by {@link listen}. */
export interface SpoolServer {
  /** The Node HTTP server. */
  server: Server;
  /** The host it is bound to. */
  host: string;
  /** The port it listens on (the one picked when `0` was asked for). */
  port: number;
  /** `http://host:port`. */
  url: string;
  /** Closes the HTTP server and the Spool instance. */
  close(): Promise<void>;
}

/** Options of {@link attach}. */
export interface AttachOptions {
  /**
   * Serve every `request` too. `false` when another framework owns the requests and mounts
   * `spool.fetch` (or {@link requestListener}) itself. @default true
   */
  requests?: boolean;
}

/**
 * Serves a Spool on a node:http server: the WebSocket transport on `upgrade` (plugged
 * into the Spool once), every `request` (unless `requests: false`), and Prometheus metrics
 * on `GET /metrics` ({@link installMetrics}). In the open local mode it checks the bound
 * address, now or when the server starts listening. Returns a function that detaches.
 *
 * @example
 * const server = http.createServer();
 * attach(spool, server);
 * server.listen(8080, '127.0.0.1');
 */
export function attach(spool: Spool, server: Server, options: AttachOptions = {}): () => void {
  const access = internalsOf(spool).access;
  const check = () => {
    const address = server.address();
    if (address === null || typeof address === 'string') return; // a pipe or unix socket is local
    try {
      access.assertCanServeOn(address.address);
    } catch (err) {
      server.close();
      server.closeAllConnections?.();
      server.emit('error', err);
    }
  };
  if (server.listening) {
    const address = server.address();
    if (address !== null && typeof address !== 'string') access.assertCanServeOn(address.address);
  } else server.once('listening', check);
  const ws = wsTransportOf(spool);
  installMetrics(spool);
  const handleRequest = requestListener(spool);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (ws.handleUpgrade(req, socket, head)) return;
    // Another listener may serve this path; if we are the only one, nobody will.
    if (server.listenerCount('upgrade') === 1) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  };
  server.on('upgrade', onUpgrade);
  if (options.requests !== false) server.on('request', handleRequest);
  return () => {
    server.off('listening', check);
    server.off('upgrade', onUpgrade);
    server.off('request', handleRequest);
  };
}

/**
 * Creates a node:http server for `spool`, {@link attach}es, and listens (default
 * 127.0.0.1:8080). Rejects with `INVALID_OPTION` before binding when the open local mode
 * (no token) is asked to listen beyond loopback.
 *
 * @example
 * const { url, close } = await listen(spool, { port: 0 });
 */
export async function listen(spool: Spool, options: ListenOptions = {}): Promise<SpoolServer> {
  const host = options.host ?? listenDefaults.host;
  const port = options.port ?? listenDefaults.port;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
    throw new SpoolError(
      'INVALID_OPTION',
      `\`port\` must be an integer from 0 to 65535, got ${String(port)}.`,
    );
  }
  internalsOf(spool).access.assertCanServeOn(host);
  const server = createServer();
  attach(spool, server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    host: address.address,
    port: address.port,
    url: `http://${shown}:${address.port}`,
    close: async () => {
      await spool.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
