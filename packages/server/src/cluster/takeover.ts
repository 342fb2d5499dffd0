import {
  COMPLETED_STREAM,
  compareEventIds,
  retry,
  type StoredMessageInput,
  type WireStreamMeta,
} from '@spool/core';
import { completionKey } from '@spool/core/internal';
import { spoolDefaults } from '../options';
import type { SpoolParts } from '../server-parts';
import type { MessageRecords } from './message-records';

/**
 * Ends one open message of a dead incarnation (docs/architecture.md, "Takeover and
 * fencing"): the record moves to this incarnation first (so the dead one, should it wake
 * up, is fenced), then the text the record holds is saved, the record ends, `msg.end` goes
 * out with reason `error`, and its one completion record is written (`xaddOnce`, keyed by
 * message ID, whoever writes it). Returns false when the message was no longer the dead
 * incarnation's (it ended, or its producer moved).
 *
 * @example await endTakenOver(spool, records, '1843563473929170944', dead.incarnation);
 */
export async function endTakenOver(
  host: SpoolParts,
  records: MessageRecords,
  messageId: string,
  deadIncarnation: string,
): Promise<boolean> {
  if (!(await records.take(messageId, deadIncarnation))) return false;
  const rec = await records.read(messageId);
  if (!rec) return false;
  const { store, broker, breakers, topics, logger, messages } = host;
  const now = Date.now();
  const meta: WireStreamMeta = { ...rec.meta, closed: true, endReason: 'error', updatedAt: now };
  const topic = topics.getOrCreate(rec.topic);
  // Every delta of the dead owner is before the topic's last event now. A message whose
  // `msg.open` was not recorded yet (it died while opening) is placed there too.
  const last = topic.lastId;
  const firstEventId = rec.firstEventId || last || '';
  // Never before the first: the topic this instance sees may be behind the owner's events.
  const lastEventId =
    last !== undefined && firstEventId !== '' && compareEventIds(last, firstEventId) > 0
      ? last
      : firstEventId;
  const message: StoredMessageInput = {
    messageId,
    channelId: meta.channelId,
    channelType: meta.channelType,
    meta,
    text: rec.text ?? '',
    lastChunkId: rec.lastChunkId,
    reason: 'error',
    firstEventId,
    lastEventId,
  };
  const retryOptions = { ...spoolDefaults.retry };
  let persisted = true;
  try {
    await topic.persistAndClear(
      () => retry(() => breakers.store.execute(() => store.save(message)), retryOptions),
      { messageId },
    );
  } catch (err) {
    persisted = false;
    logger.error({ err, messageId }, 'saving a taken-over message failed; it is dead-lettered');
    messages.deadLetters.push({
      messageId,
      topic: rec.topic,
      text: message.text,
      meta,
      error: err instanceof Error ? err.message : String(err),
      at: now,
      message,
    });
  }
  await records.finish(messageId, 'error');
  await topic.append('msg.end', { messageId, reason: 'error', persisted });
  if (store.recordsCompletions !== true) {
    const fields = {
      messageId,
      channelId: meta.channelId,
      channelType: String(meta.channelType),
      reason: 'error',
      persisted: String(persisted),
    };
    await retry(
      () =>
        breakers.broker.execute(() => broker.xaddOnce(COMPLETED_STREAM, completionKey(messageId), fields)),
      retryOptions,
    );
  }
  logger.warn({ messageId, chars: message.text.length }, 'a taken-over message ended with reason error');
  return true;
}
