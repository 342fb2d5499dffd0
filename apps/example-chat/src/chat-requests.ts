import type { WireEndReason } from '@spool/core';

/**
 * What the page and the producer say to each other besides the chat itself. The chat
 * (questions and replies) lives on the channel topic `chan:1:<room>`; requests to the
 * producer go on one plain topic, published with an idempotency key so a request sent
 * again after a reconnect is applied once (docs/protocol.md, "Rules": idempotency keys).
 */

/** The channel type of every room of the example (`chan:<type>:<room>`). */
export const CHAT_CHANNEL_TYPE = 1;

/** The topic the producer listens on for {@link ChatRequest}s. */
export const REQUESTS_TOPIC = 'example-chat.requests';

/** The topic the producer reports each finished reply on ({@link RunRecord}). */
export const RUNS_TOPIC = 'example-chat.runs';

/** Ask the model: the producer writes the question into the room, then streams the reply. */
export interface PromptRequest {
  type: 'prompt';
  room: string;
  text: string;
  /** Chosen by the page; the question's `customFields.requestId`, and the publish key. */
  requestId: string;
}

/** Stop a reply: the producer aborts the model and cancels the message (`msg.cancel`). */
export interface StopRequest {
  type: 'stop';
  messageId: string;
}

export type ChatRequest = PromptRequest | StopRequest;

/** Who wrote a message, in its `customFields.role`. */
export type ChatRole = 'user' | 'assistant';

/** How a reply ended, as the producer saw it: one record per reply on {@link RUNS_TOPIC}. */
export interface RunRecord {
  messageId: string;
  room: string;
  /** The reason of the reply's `msg.end`, whoever ended it. */
  outcome: WireEndReason;
  /** Whether the model's AbortSignal was aborted (a stop, or a cancel from elsewhere). */
  aborted: boolean;
  /** Tokens the model produced and the producer wrote. */
  tokens: number;
}

/** Reads a request published on {@link REQUESTS_TOPIC}; undefined for anything else. */
export function parseChatRequest(data: unknown): ChatRequest | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Record<string, unknown>;
  if (
    d.type === 'prompt' &&
    typeof d.room === 'string' &&
    d.room !== '' &&
    typeof d.text === 'string' &&
    typeof d.requestId === 'string'
  ) {
    return { type: 'prompt', room: d.room, text: d.text, requestId: d.requestId };
  }
  if (d.type === 'stop' && typeof d.messageId === 'string') return { type: 'stop', messageId: d.messageId };
  return undefined;
}
