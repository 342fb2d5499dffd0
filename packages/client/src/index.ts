// One error class for the whole of Spool: re-exported so apps can branch on `err.code`.

export type { ChannelHistoryItem, ChannelHistoryPage } from '@spool/core';
export { type ErrorCode, isSpoolError, SpoolError } from '@spool/core';
export type { HistoryChannel, HistoryOptions } from './channel-history';
export {
  type AssembledMessage,
  assembleChannel,
  type ChannelStore,
  ChatAssembler,
  type MessageStatus,
} from './chat-assembler';
export {
  type ReconnectBackoff,
  type SpoolClientOptions,
  spoolClientDefaults,
  type WebSocketConstructor,
  type WebSocketLike,
} from './options';
export { type ConnectionState, SpoolClient } from './spool-client';
export { type ExternalStore, RESET_EVENT, type SpoolEvent, type SpoolEventSource } from './spool-event';
export { type SubscribeOptions, Subscription } from './subscription';
