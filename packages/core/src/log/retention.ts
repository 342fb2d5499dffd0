import { SpoolError } from '../errors';
import type { TopicEvent } from './topic-event';

/**
 * How much of its history a topic keeps in memory. Past any soft limit the oldest event
 * is trimmed, but only once it may go (see {@link TrimRules.isPinned}: a channel's
 * unpersisted messages stay). The hard limits win over pins, so memory stays bounded.
 */
export interface TopicRetention {
  /** @default 10_000 */
  maxEvents: number;
  /** Sum of the events' `size` (UTF-8 bytes of their JSON data). @default 8 MiB */
  maxBytes: number;
  /** Age on the topic's clock; `Infinity` for none. @default 3_600_000 (1 hour) */
  maxAgeMs: number;
  /** Events kept even when pinned; beyond it the oldest are squeezed out. @default 2 × maxEvents */
  hardMaxEvents: number;
  /** Bytes kept even when pinned. @default 2 × maxBytes */
  hardMaxBytes: number;
}

/**
 * A topic's retention-pin policy: what the soft retention limits must not trim yet.
 * - `messages`: chat events stay until their message is persisted
 *   (`persistAndClear({ messageId })`, or a `msg.end` with `persisted: true`), and the
 *   topic keeps a message ledger for resumes (what a channel topic wants);
 * - `events`: every event stays until a `persistAndClear` has persisted it;
 * - `none`: retention alone decides (pins only while a `persistAndClear` runs).
 *
 * A topic never derives it from its name: whoever creates channel topics says so (Spool's
 * `chan:*` pattern passes `messages`). The hard limits win over every pin.
 *
 * @example new Topic('chan:1:general', { retainUntilPersisted: 'messages', catchup });
 */
export type RetainUntilPersisted = 'none' | 'events' | 'messages';

/** Defaults of {@link TopicRetention} (the hard limits default to twice the soft ones). */
export const topicRetentionDefaults = {
  maxEvents: 10_000,
  maxBytes: 8 * 2 ** 20,
  maxAgeMs: 60 * 60_000,
} as const;

/**
 * What a {@link TopicLog} applies when it appends and trims: the retention, the topic's
 * pins, and hooks that keep the topic's bookkeeping in step with the log.
 */
export interface TrimRules extends TopicRetention {
  /**
   * True while `ev` may not be trimmed by the soft limits (its message is not persisted yet).
   * It is asked when `ev` is appended and again at each trim; once false for an event it
   * must stay false (a pin is released, never taken later), because a remote log records
   * pins where it stores the event, at append time.
   */
  isPinned(ev: TopicEvent): boolean;
  /**
   * Called synchronously as each event enters the log, before any trimming it causes, so
   * a resume planned at any moment sees the topic's bookkeeping match the log.
   */
  onAppend?(ev: TopicEvent): void;
  /** Called synchronously as each event leaves the log, oldest first. */
  onDrop?(ev: TopicEvent): void;
}

/**
 * Fills in and checks a retention: positive integers, `maxAgeMs` may be `Infinity`, hard
 * limits at least the soft ones.
 *
 * @throws SpoolError `INVALID_OPTION`
 * @example resolveTopicRetention({ maxEvents: 1000 }).hardMaxEvents // 2000
 */
export function resolveTopicRetention(options: Partial<TopicRetention> = {}): TopicRetention {
  const maxEvents = options.maxEvents ?? topicRetentionDefaults.maxEvents;
  const maxBytes = options.maxBytes ?? topicRetentionDefaults.maxBytes;
  const maxAgeMs = options.maxAgeMs ?? topicRetentionDefaults.maxAgeMs;
  positiveInteger('retention.maxEvents', maxEvents);
  positiveInteger('retention.maxBytes', maxBytes);
  if (!(maxAgeMs > 0) || (maxAgeMs !== Number.POSITIVE_INFINITY && !Number.isSafeInteger(maxAgeMs)))
    throw new SpoolError(
      'INVALID_OPTION',
      `\`retention.maxAgeMs\` must be a positive integer of milliseconds or Infinity, got ${String(maxAgeMs)}.`,
    );
  const hardMaxEvents = options.hardMaxEvents ?? Math.min(2 * maxEvents, Number.MAX_SAFE_INTEGER);
  const hardMaxBytes = options.hardMaxBytes ?? Math.min(2 * maxBytes, Number.MAX_SAFE_INTEGER);
  positiveInteger('retention.hardMaxEvents', hardMaxEvents);
  positiveInteger('retention.hardMaxBytes', hardMaxBytes);
  if (hardMaxEvents < maxEvents)
    throw new SpoolError(
      'INVALID_OPTION',
      `\`retention.hardMaxEvents\` (${hardMaxEvents}) must be at least \`retention.maxEvents\` (${maxEvents}).`,
    );
  if (hardMaxBytes < maxBytes)
    throw new SpoolError(
      'INVALID_OPTION',
      `\`retention.hardMaxBytes\` (${hardMaxBytes}) must be at least \`retention.maxBytes\` (${maxBytes}).`,
    );
  return { maxEvents, maxBytes, maxAgeMs, hardMaxEvents, hardMaxBytes };
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new SpoolError('INVALID_OPTION', `\`${name}\` must be a positive integer, got ${String(value)}.`);
}
