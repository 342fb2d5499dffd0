import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { SpoolError } from '@spool/core';
import type { AccessControl } from '../auth/access-control';

/** What serving on node:http needs of a Spool server (`Spool` has it). */
export interface NodeServable {
  readonly access: Pick<AccessControl, 'assertCanServeOn'>;
  /** Answers an `upgrade` on the WebSocket path; false for any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** A node:http `request` listener. */
  readonly handleRequest: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

/** Options of `spool.listen()`. */
export interface ListenOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** `0` picks a free port. @default 8080 */
  port?: number;
}

/** The defaults of {@link ListenOptions} (`spool serve` reads SPOOL_HOST / SPOOL_PORT over them). */
export const listenDefaults = Object.freeze({ host: '127.0.0.1', port: 8080 });

/** A listening server made by `spool.listen()`. */
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

/**
 * Serves a Spool instance on a node:http server: `upgrade` for the WebSocket path, and
 * `request` for everything (unless `requests: false`, when another framework owns the
 * requests and mounts `spool.handleRequest` or `spool.fetch` itself). In the open local
 * mode it checks the bound address, now or when the server starts listening.
 */
export function attachToServer(
  spool: NodeServable,
  server: Server,
  options: { requests?: boolean } = {},
): () => void {
  const check = () => {
    const address = server.address();
    if (address === null || typeof address === 'string') return; // a pipe or unix socket is local
    try {
      spool.access.assertCanServeOn(address.address);
    } catch (err) {
      server.close();
      server.closeAllConnections?.();
      server.emit('error', err);
    }
  };
  if (server.listening) {
    const address = server.address();
    if (address !== null && typeof address !== 'string') spool.access.assertCanServeOn(address.address);
  } else server.once('listening', check);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (spool.handleUpgrade(req, socket, head)) return;
    // Another listener may serve this path; if we are the only one, nobody will.
    if (server.listenerCount('upgrade') === 1) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  };
  server.on('upgrade', onUpgrade);
  if (options.requests !== false) server.on('request', spool.handleRequest);
  return () => {
    server.off('listening', check);
    server.off('upgrade', onUpgrade);
    server.off('request', spool.handleRequest);
  };
}

/**
 * Creates a node:http server for `spool` and listens. Rejects with `INVALID_OPTION` before
 * binding when the open local mode (no token) is asked to listen beyond loopback.
 */
export async function listen(spool: NodeServable, options: ListenOptions = {}): Promise<SpoolServer> {
  const host = options.host ?? listenDefaults.host;
  const port = options.port ?? listenDefaults.port;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
    throw new SpoolError(
      'INVALID_OPTION',
      `\`port\` must be an integer from 0 to 65535, got ${String(port)}.`,
    );
  }
  spool.access.assertCanServeOn(host);
  const server = createServer();
  attachToServer(spool, server);
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
