import type { StoredMessage } from './message-store';

/** The broker stream where finished messages are announced for consumer groups (ARCHITECTURE step 4). */
export const COMPLETED_STREAM = 'spool:completed';

/**
 * The fields of a message's one `spool:completed` record, in the order they are written.
 * The chat pipeline writes them itself, or, with a store that records completions in
 * the same transaction as the save (an outbox), the store's relay does; both build them
 * here so the record looks the same either way.
 *
 * @example
 * await broker.xaddOnce(COMPLETED_STREAM, completionKey(message.messageId), completionFields(message, true));
 */
export function completionFields(
  message: Pick<StoredMessage, 'messageId' | 'channelId' | 'channelType' | 'reason'>,
  persisted: boolean,
): Record<string, string> {
  return {
    messageId: message.messageId,
    channelId: message.channelId,
    channelType: String(message.channelType),
    reason: message.reason,
    persisted: String(persisted),
  };
}

/**
 * The `xaddOnce` key of a message's one completion record on `stream`: whichever path
 * writes the record (the chat pipeline, or a store's outbox relay), a second one is refused.
 *
 * @example completionKey('1843563473929170944') // 'spool:completed:1843563473929170944'
 */
export function completionKey(messageId: string, stream: string = COMPLETED_STREAM): string {
  return `${stream}:${messageId}`;
}
