/** A transport's lifetime totals, as `stats()` and `/metrics` report them. */
export interface TransportTotals {
  /** Open connections (WebSockets) or streams (SSE). */
  connections: number;
  /** Of those, the ones behind the live edge. */
  lagging: number;
  /** Events delivered, closed connections included. */
  delivered: number;
  /** Bytes written, closed connections included. */
  bytesOut: number;
  /** Subscriptions cut for lagging too far behind. */
  lagCuts: number;
}

/** The totals of a transport that is not attached. */
export const NO_TRANSPORT: Readonly<TransportTotals> = Object.freeze({
  connections: 0,
  lagging: 0,
  delivered: 0,
  bytesOut: 0,
  lagCuts: 0,
});

/**
 * A way clients connect to a Spool server (docs/architecture.md, "The package and entry
 * graph"). SSE is built in; the WebSocket transport needs a runtime's sockets, so the Node
 * entry plugs it in when it serves a Spool (`attach`, `listen`). A Spool's `stats()` sums
 * every transport's totals, and its `close()` refuses new connections on every transport
 * first, then closes them once every open message has ended (docs/protocol.md, "Close codes").
 */
export interface Transport {
  /** Lifetime totals, closed connections included. */
  totals(): TransportTotals;
  /** Per-connection health, for the transports that track it (the WebSocket's). */
  health?(): ConnectionHealth[];
  /** The start of a shutdown: new connections are refused, open ones stay. */
  refuseNew(): void;
  /** Closes every connection, after what is queued for it. */
  close(): void;
}

/** Per-connection health, as `spool.stats()` reports it. */
export interface ConnectionHealth {
  /** The connection's number on this instance. */
  id: number;
  /** The caller's principal `id`. */
  principal: string;
  /** Topics subscribed. */
  subscriptions: number;
  /** Bytes waiting in the connection's send queue. */
  queuedBytes: number;
  /** Credit left, summed over the subscriptions. */
  credit: number;
  /** True when a subscription was cut back to catchup, or waits for room in the send queue. */
  lagging: boolean;
  /** Alive, not lagging, and its send queue at most half full. */
  healthy: boolean;
  /** Events sent to it. */
  delivered: number;
  /** Bytes written to it. */
  bytesOut: number;
}
