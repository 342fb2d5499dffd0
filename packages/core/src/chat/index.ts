/**
 * `@spool/core/chat`: the one assembly of chat messages from a channel topic's events
 * (docs/protocol.md, "Chat events on a channel topic"), shared by `@spool/client`'s
 * assembler, its React hooks and the dashboard. The chat pipeline beside it (`ChatProducer`)
 * is the server's, exported from `@spool/core/internal`, so this entry stays small.
 */
export type { AssembledMessage, MessageStatus } from './assembled-message';
export {
  type ChatEvent,
  type ChatState,
  type HeldChunk,
  initialChatState,
  reduceChatEvent,
} from './reduce-chat-event';
