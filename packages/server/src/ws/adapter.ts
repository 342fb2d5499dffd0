import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Clock, TopicRegistry } from '@spool/core';
import { PROTOCOL_V1, type SpoolError, wsCloseCodeFor } from '@spool/core';
import type { ProducerOps } from '@spool/core/internal';
import { type WebSocket, WebSocketServer } from 'ws';
import type { AccessControl } from '../auth/access-control';
import type { Principal } from '../auth/principal';
import type { PrincipalLimiter } from '../auth/principal-limits';
import { toSpoolError } from '../http/errors';
import { upgradeRequest } from '../http/node-bridge';
import type { PublishOptions } from '../publish-options';
import type { ConnectionHealth, Transport } from '../transport';
import { Connection, type ConnectionContext } from './connection';
import { frameText } from './frame';
import { IdempotencyWindow } from './limits';
import { FlushBatch } from './send-queue';
import type { ResolvedWsOptions } from './ws-options';

/** What the adapter needs from the Spool instance. */
export interface WsAdapterDeps {
  options: ResolvedWsOptions;
  access: AccessControl;
  topics: TopicRegistry;
  clock: Clock;
  publish(topic: string, data: unknown, options?: PublishOptions): Promise<string>;
  /** See `SpoolParts.publishFor`. */
  publishFor(principalId: string, topic: string, data: unknown, options: PublishOptions): Promise<string>;
  producer: ProducerOps;
  principalLimits: PrincipalLimiter;
  onInternalError(err: unknown): void;
}

const kConnection = Symbol('spool.connection');
type Tagged = WebSocket & { [kConnection]?: Connection };

// Listeners shared by every socket (`this` is the socket), so an idle connection carries
// no per-connection closures: heap per idle connection is what ws needs plus one object.
function onMessage(this: Tagged, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
  this[kConnection]?.receive(data, isBinary);
}
function onPong(this: Tagged): void {
  const connection = this[kConnection];
  if (connection) connection.alive = true;
}
function onClose(this: Tagged): void {
  this[kConnection]?.dispose();
}
function onError(this: Tagged): void {
  // ws has written its Close frame (bad UTF-8 → 1007, frame too big → 1009) or lost the
  // socket. 'close' only follows once the peer answers or ws's close timer fires (30 s),
  // so the subscriptions are released now: nothing more can be sent on this socket.
  this[kConnection]?.dispose();
}

/**
 * The WebSocket adapter: protocol v1 on `ws` with `noServer` + `handleUpgrade`, so it
 * attaches to any node:http server. Authentication happens before the handshake completes;
 * a refused client still completes it and is closed with 4401/4403, because browsers cannot
 * read the HTTP status of a refused upgrade.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => {
 *   if (!adapter.handleUpgrade(req, socket, head)) socket.destroy();
 * });
 */
export class WsAdapter implements Transport {
  readonly wss: WebSocketServer;
  readonly connections = new Set<Connection>();
  private readonly ctx: ConnectionContext;
  private readonly heartbeatFrame = frameText('{"op":"hb"}');
  private sweepTimer: unknown;
  private closedTotals = { delivered: 0, bytesOut: 0, lagCuts: 0 };
  private closing = false;
  /** Set when a shutdown starts: new sockets are refused, open ones stay until `close()`. */
  private refusing = false;

  constructor(private readonly deps: WsAdapterDeps) {
    const o = deps.options;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Off: frames are built once and written raw to every socket, which compression would forbid.
      perMessageDeflate: false,
      maxPayload: o.maxFrameBytes,
      handleProtocols: (protocols) => (protocols.has(PROTOCOL_V1) ? PROTOCOL_V1 : false),
    });
    this.ctx = {
      options: o,
      access: deps.access,
      topics: deps.topics,
      batch: new FlushBatch(),
      clock: deps.clock,
      idempotency: new IdempotencyWindow(o.idempotencyWindow),
      publish: deps.publish,
      publishFor: deps.publishFor,
      producer: deps.producer,
      principalLimits: deps.principalLimits,
      onInternalError: deps.onInternalError,
      onClose: (connection) => {
        this.connections.delete(connection);
        this.closedTotals.delivered += connection.delivered;
        this.closedTotals.bytesOut += connection.queue.bytesOut;
        this.closedTotals.lagCuts += connection.lagCuts;
      },
    };
    this.scheduleSweep();
  }

  /** True when `req` targets the WebSocket path (the upgrade is then handled, or refused, here). */
  handles(req: IncomingMessage): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    return (q === -1 ? url : url.slice(0, q)) === this.deps.options.path;
  }

  /** Handles an `upgrade` event; returns false when the path is not the WebSocket path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (!this.handles(req)) return false;
    if (this.closing || this.refusing) {
      socket.destroy();
      return true;
    }
    void this.admit(req, socket, head);
    return true;
  }

  private async admit(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    let request: Request;
    try {
      request = upgradeRequest(req);
    } catch {
      // A malformed Host or target: not a client worth a handshake.
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    let principal: Principal | undefined;
    let refusal: SpoolError | undefined;
    try {
      this.deps.access.checkHostAndOrigin(request); // DNS rebinding and foreign pages: close 1008
      principal = await this.deps.access.authenticate(request);
      await this.deps.access.authorize(principal, 'connect');
    } catch (err) {
      refusal = toSpoolError(err);
      if (refusal.code === 'INTERNAL') this.deps.onInternalError(err);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (refusal || !principal || this.closing || this.refusing) {
        const code = refusal?.code ?? 'UNAVAILABLE';
        ws.close(wsCloseCodeFor(code), code);
        return;
      }
      // `socket` is what ws now speaks on: the connection writes its frames there.
      this.accept(ws as Tagged, socket, principal);
    });
  }

  private accept(ws: Tagged, socket: Duplex, principal: Principal): void {
    const connection = new Connection(ws, socket, principal, this.ctx);
    ws[kConnection] = connection;
    this.connections.add(connection);
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('close', onClose);
    ws.on('error', onError);
  }

  /**
   * The liveness sweep: a peer that has not answered since the last sweep is terminated;
   * the others get a ws ping and the application heartbeat (one shared frame).
   */
  sweep(): void {
    for (const connection of this.connections) {
      if (!connection.alive) {
        connection.ws.terminate();
        connection.dispose();
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
      connection.sendShared(this.heartbeatFrame);
    }
  }

  private scheduleSweep(): void {
    this.sweepTimer = this.deps.clock.setTimeout(() => {
      this.sweep();
      if (!this.closing) this.scheduleSweep();
    }, this.deps.options.heartbeatIntervalMs);
  }

  health(): ConnectionHealth[] {
    return [...this.connections].map((c) => c.health());
  }

  totals(): { connections: number; lagging: number; delivered: number; bytesOut: number; lagCuts: number } {
    let lagging = 0;
    let delivered = this.closedTotals.delivered;
    let bytesOut = this.closedTotals.bytesOut;
    let lagCuts = this.closedTotals.lagCuts;
    for (const c of this.connections) {
      const h = c.health();
      if (h.lagging) lagging++;
      delivered += h.delivered;
      bytesOut += h.bytesOut;
      lagCuts += c.lagCuts;
    }
    return { connections: this.connections.size, lagging, delivered, bytesOut, lagCuts };
  }

  /** Refuses new sockets (they are closed at once) and keeps the open ones: the start of a shutdown. */
  refuseNew(): void {
    this.refusing = true;
  }

  /** Closes every socket with 1001 (going away), after what is queued for it, and stops the sweep. */
  close(): void {
    this.closing = true;
    this.deps.clock.clearTimeout(this.sweepTimer);
    for (const connection of [...this.connections]) connection.close(1001, 'server shutting down');
    this.wss.close();
  }
}
