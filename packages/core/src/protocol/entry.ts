/**
 * `@spool/core/protocol`: the part of the wire protocol a peer needs, as a small entry of
 * its own (docs/protocol.md). A client imports it rather than core's whole index, and
 * bundles only what it calls: the frame guard, event-ID order and the reconnect backoff.
 * The light event-ID helpers and `fullJitter` are built on the same math core's own users
 * call; `readServerFrame` is the one decoder of server frames.
 */
export { type BackoffOptions, backoffDelay, fullJitter, type RandomSource } from '../flow/backoff';
export { encodeClientMessage } from './encode-message';
export {
  compareEventIds,
  type EventId,
  eventIdBefore,
  eventIdJustBefore,
  isEventId,
  isEventIdAfter,
  MIN_EVENT_ID,
} from './event-id';
export * from './messages';
export { readServerFrame } from './read-server-frame';
export type { WireDecodeOptions, WireDecodeResult, WireFrame } from './wire-frame';
