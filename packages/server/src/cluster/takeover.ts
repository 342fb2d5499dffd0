import {
  COMPLETED_STREAM,
  compareEventIds,
  completionFields,
  completionKey,
  retry,
  SpoolError,
  type StoredMessageInput,
  type WireStreamMeta,
} from '@spool/core';
import { spoolDefaults } from '../options';
import type { SpoolParts } from '../server-parts';
import type { MessageRecords } from './message-records';

/**
 * How far the ending of one taken-over message got. Its record names this incarnation from
 * the moment it was taken, so no other survivor will end it: a step that failed (Redis or
 * the store failing at that moment) is tried again by {@link finishTakenOver}, and a step
 * that succeeded is never done twice (one `msg.end`, one completion record).
 */
export interface TakenOverMessage {
  readonly messageId: string;
  /** Set once the text is saved or dead-lettered. */
  persisted?: boolean;
  /** Read from the record once: the message as saved (with the meta its completion carries) and its topic. */
  ending?: { message: StoredMessageInput; topic: string };
  /** Set once the record ended, once `msg.end` went out, once the completion record is written. */
  finished?: boolean;
  announced?: boolean;
  completed?: boolean;
}

/**
 * Ends one open message of a dead incarnation (docs/architecture.md, "Takeover and
 * fencing"): the record moves to this incarnation first (so the dead one, should it wake
 * up, is fenced), then the text the record holds is saved, the record ends, `msg.end` goes
 * out with reason `error`, and its one completion record is written (`xaddOnce`, keyed by
 * message ID, whoever writes it). Returns undefined when the message was no longer the dead
 * incarnation's (it ended, or its producer moved); otherwise the ending, whose steps
 * {@link finishTakenOver} runs (and runs again after a failure).
 *
 * @example
 * const taken = await takeOver(records, '1843563473929170944', dead.incarnation);
 * if (taken) await finishTakenOver(spool, records, taken);
 */
export async function takeOver(
  records: MessageRecords,
  messageId: string,
  deadIncarnation: string,
): Promise<TakenOverMessage | undefined> {
  if (!(await records.take(messageId, deadIncarnation))) return undefined;
  return { messageId };
}

/**
 * Runs the steps of a taken-over message's ending that are not done yet; throws at the first
 * that fails, leaving `taken` to be passed again. Resolves false when the record was gone
 * (nothing to end).
 */
export async function finishTakenOver(
  host: SpoolParts,
  records: MessageRecords,
  taken: TakenOverMessage,
): Promise<boolean> {
  const { messageId } = taken;
  const { store, broker, breakers, topics, logger, messages } = host;
  const retryOptions = { ...spoolDefaults.retry };
  if (!taken.ending) {
    const rec = await records.read(messageId);
    if (!rec) return false;
    const meta: WireStreamMeta = { ...rec.meta, closed: true, endReason: 'error', updatedAt: Date.now() };
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
    taken.ending = { message, topic: rec.topic };
  }
  const { message, topic: topicName } = taken.ending;
  if (taken.persisted === undefined) {
    try {
      await topics
        .getOrCreate(topicName)
        .persistAndClear(() => retry(() => breakers.store.execute(() => store.save(message)), retryOptions), {
          messageId,
        });
      taken.persisted = true;
    } catch (err) {
      logger.error({ err, messageId }, 'saving a taken-over message failed; it is dead-lettered');
      messages.keepDeadLetter(message, topicName, err);
      taken.persisted = false;
    }
  }
  if (!taken.finished) {
    try {
      await records.finish(messageId, 'error');
    } catch (err) {
      if (!(err instanceof SpoolError)) throw err;
      // Its producer reconnected and moved it on: the message goes on there, and ends there.
      // A dead letter of this ending goes too: replayed, it would save the partial text and
      // reason `error` over the message's final save.
      if (err.code === 'FENCED') {
        if (taken.persisted === false) messages.dropDeadLetter(messageId);
        return false;
      }
      // Ended already: by this ending, whose reply was lost with the connection.
      if (err.code !== 'STREAM_NOT_FOUND') throw err;
    }
    taken.finished = true;
  }
  if (!taken.announced) {
    await topics
      .getOrCreate(topicName)
      .append('msg.end', { messageId, reason: 'error', persisted: taken.persisted });
    taken.announced = true;
  }
  if (!taken.completed && store.recordsCompletions !== true) {
    const fields = completionFields(message, taken.persisted === true);
    await retry(
      () =>
        breakers.broker.execute(() => broker.xaddOnce(COMPLETED_STREAM, completionKey(messageId), fields)),
      retryOptions,
    );
  }
  taken.completed = true;
  logger.warn({ messageId, chars: message.text.length }, 'a taken-over message ended with reason error');
  return true;
}
