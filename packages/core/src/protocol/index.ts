export { decodeClientMessage, WIRE_END_REASONS, wireLimits } from './decode-client-message';
export { encodeClientMessage, encodeMessage, encodeServerMessage } from './encode-message';
export * from './event-id';
export * from './message-id';
export * from './messages';
export { readServerFrame } from './read-server-frame';
export * from './sse-encoder';
export * from './sse-parser';
export * from './sse-parser-stream';
export * from './subprotocol';
export {
  type WireDecodeOptions,
  type WireDecodeResult,
  type WireFrame,
  wireDecodeDefaults,
} from './wire-frame';
export * from './ws-close-code';
