import { type ConsumeOptions, consume, DEAD_LETTER_FIELDS, type StreamBroker } from '@spool/core';
import { COMPLETED_STREAM } from '@spool/server';
import { RedisBroker } from '@spool/server/redis';

/** The Redis that `spool serve` uses (`SPOOL_REDIS_URL`, `SPOOL_REDIS_PREFIX`). */
export function connectBroker(url: string, keyPrefix = ''): RedisBroker {
  return new RedisBroker({ url, keyPrefix, onError: (err) => console.error('redis:', err.message) });
}

/** A finished message, as its completion record on `spool:completed` names it. */
export interface Completed {
  messageId: string;
  channelId: string;
  channelType: number;
  reason: string;
  persisted: boolean;
}

/**
 * Indexes every finished message, once per group however many workers run: entries are
 * acked when `index` resolves; a failed one is retried (claimed after `claimIdleMs`, from
 * a crashed worker too) and, after `maxDeliveries` failures, moved to `spool:completed:dead`.
 */
export function startIndexer(
  broker: StreamBroker,
  index: (message: Completed) => Promise<void>,
  options: ConsumeOptions = {},
) {
  return consume(
    broker,
    COMPLETED_STREAM,
    'indexer',
    `indexer-${process.pid}`,
    async ({ fields }) => {
      await index({
        messageId: fields.messageId!,
        channelId: fields.channelId!,
        channelType: Number(fields.channelType),
        reason: fields.reason!,
        persisted: fields.persisted === 'true',
      });
    },
    { concurrency: 4, maxDeliveries: 3, claimIdleMs: 30_000, ...options },
  );
}

/** What the indexer gave up on, for an operator to look at (or add back to the stream). */
export async function deadLetters(broker: StreamBroker) {
  const entries = await broker.xrange(`${COMPLETED_STREAM}:dead`, '-', '+', 100);
  return entries.map(({ id, fields }) => ({
    id,
    messageId: fields?.messageId,
    deliveries: Number(fields?.[DEAD_LETTER_FIELDS.deliveries]),
    error: fields?.[DEAD_LETTER_FIELDS.reason],
  }));
}
