import { SpoolError } from '../errors';
import type { TopicStatsSnapshot } from '../stats';
import { type Clock, realClock, type TimerHandle } from '../time/clock';
import { Topic, type TopicOptions } from './topic';
import type { TopicLog } from './topic-log';
import { assertTopicName } from './topic-name';

/** Why a topic left the registry. */
export type TopicCompleteReason = 'idle' | 'timeout' | 'closed';

/** Options for topics whose name matches: a glob (`*` for any run of characters), a RegExp or a predicate. */
export interface TopicPattern {
  /**
   * Which topic names the options apply to: a glob (`*` for any run of characters), a RegExp or a predicate.
   */
  match: string | RegExp | ((name: string) => boolean);
  /** The options of every topic the pattern matches. */
  options: RegistryTopicOptions;
}

/** Topic options a registry applies (the registry supplies the clock and each topic's log). */
export type RegistryTopicOptions = Omit<TopicOptions, 'clock' | 'log'>;

/** Options of {@link TopicRegistry}. */
export interface TopicRegistryOptions {
  /** Drives cleanup, timeouts and every topic it creates. @default realClock */
  clock?: Clock;
  /** Options of every topic `getOrCreate` makes. */
  defaults?: RegistryTopicOptions;
  /** Per-pattern options over `defaults` (first match wins; `retention` merges field by field). */
  patterns?: readonly TopicPattern[];
  /** Builds each topic's log (a Redis log, later). @default a MemoryTopicLog */
  createLog?: (name: string, clock: Clock) => TopicLog;
  /** A topic with no subscriber and no activity this long is closed; Infinity never. @default 300_000 */
  idleTimeoutMs?: number;
  /** A topic this old is closed, busy or not; Infinity never. @default Infinity */
  timeoutMs?: number;
  /** How often cleanup runs (it also applies age retention); 0 for never (call `sweep()`). @default 30_000 */
  cleanupIntervalMs?: number;
  /** The most topics held at once. @default 10_000 */
  maxTopics?: number;
  /** Called once per topic that leaves the registry, after it is closed. */
  onComplete?: (topic: Topic, reason: TopicCompleteReason) => void | Promise<void>;
  /** Where errors of `onComplete` and of background cleanup go. @default console.error */
  onError?: (err: unknown) => void;
}

/** Defaults of {@link TopicRegistryOptions}. */
export const topicRegistryDefaults = {
  idleTimeoutMs: 5 * 60_000,
  timeoutMs: Number.POSITIVE_INFINITY,
  cleanupIntervalMs: 30_000,
  maxTopics: 10_000,
} as const;

/**
 * All topics of a process by name: get-or-create with options by
 * name pattern, idle cleanup and timeouts on the injectable clock, and `onComplete` when
 * a topic leaves.
 *
 * @example
 * const registry = new TopicRegistry({
 *   patterns: [{
 *     match: 'chan:*',
 *     options: { retainUntilPersisted: 'messages', catchup: new ChannelCatchup({ store }), retention: { maxEvents: 50_000 } },
 *   }],
 *   onComplete: (topic, reason) => log.info({ topic: topic.name, reason }, 'topic done'),
 * });
 * const topic = registry.getOrCreate('chan:1:general');
 */
export class TopicRegistry {
  readonly #clock: Clock;
  readonly #defaults: RegistryTopicOptions;
  readonly #patterns: { test: (name: string) => boolean; options: RegistryTopicOptions }[];
  readonly #createLog: TopicRegistryOptions['createLog'];
  readonly #idleTimeoutMs: number;
  readonly #timeoutMs: number;
  readonly #intervalMs: number;
  readonly #maxTopics: number;
  readonly #onComplete: TopicRegistryOptions['onComplete'];
  readonly #onError: (err: unknown) => void;
  readonly #topics = new Map<string, Topic>();
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(options: TopicRegistryOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#defaults = options.defaults ?? {};
    this.#patterns = (options.patterns ?? []).map((p) => ({ test: matcher(p.match), options: p.options }));
    this.#createLog = options.createLog;
    this.#idleTimeoutMs = duration(
      'idleTimeoutMs',
      options.idleTimeoutMs ?? topicRegistryDefaults.idleTimeoutMs,
    );
    this.#timeoutMs = duration('timeoutMs', options.timeoutMs ?? topicRegistryDefaults.timeoutMs);
    this.#intervalMs = options.cleanupIntervalMs ?? topicRegistryDefaults.cleanupIntervalMs;
    if (!Number.isSafeInteger(this.#intervalMs) || this.#intervalMs < 0)
      throw new SpoolError(
        'INVALID_OPTION',
        `\`cleanupIntervalMs\` must be a non-negative integer (0 turns the timer off), got ${String(this.#intervalMs)}.`,
      );
    this.#maxTopics = options.maxTopics ?? topicRegistryDefaults.maxTopics;
    if (!Number.isSafeInteger(this.#maxTopics) || this.#maxTopics < 1)
      throw new SpoolError(
        'INVALID_OPTION',
        `\`maxTopics\` must be a positive integer, got ${String(this.#maxTopics)}.`,
      );
    this.#onComplete = options.onComplete;
    this.#onError = options.onError ?? ((err) => console.error(err));
    this.#arm();
  }

  /** Number of topics held. */
  get size(): number {
    return this.#topics.size;
  }

  /** The topic of that name, if held. */
  get(name: string): Topic | undefined {
    return this.#topics.get(name);
  }

  /**
   * The topic of that name; throws when it is not held.
   * @throws SpoolError `TOPIC_NOT_FOUND`
   */
  require(name: string): Topic {
    const topic = this.#topics.get(name);
    if (!topic) throw new SpoolError('TOPIC_NOT_FOUND', `No topic named ${JSON.stringify(name)}.`);
    return topic;
  }

  /**
   * The topic of that name, created with the options of the first matching pattern (over
   * `defaults`, then `overrides`) when not held yet.
   *
   * @throws SpoolError `INVALID_TOPIC`, `TOO_MANY_TOPICS`, `TOPIC_CLOSED` (the registry is closed)
   */
  getOrCreate(name: string, overrides: RegistryTopicOptions = {}): Topic {
    const held = this.#topics.get(name);
    if (held && !held.closed) return held;
    if (held) this.#topics.delete(name);
    assertTopicName(name);
    this.#assertRoom(name);
    const pattern = this.#patterns.find((p) => p.test(name))?.options ?? {};
    const topic = new Topic(name, {
      ...this.#defaults,
      ...pattern,
      ...overrides,
      retention: { ...this.#defaults.retention, ...pattern.retention, ...overrides.retention },
      clock: this.#clock,
      ...(this.#createLog ? { log: this.#createLog(name, this.#clock) } : {}),
    });
    this.#topics.set(name, topic);
    return topic;
  }

  /**
   * Adds a topic built elsewhere.
   * @throws SpoolError `TOPIC_EXISTS`, `TOPIC_CLOSED`, `TOO_MANY_TOPICS`
   */
  register(topic: Topic): Topic {
    if (topic.closed)
      throw new SpoolError('TOPIC_CLOSED', `Topic "${topic.name}" is closed; register an open one.`);
    const held = this.#topics.get(topic.name);
    if (held && held !== topic && !held.closed)
      throw new SpoolError('TOPIC_EXISTS', `A topic named "${topic.name}" is already registered.`);
    if (held !== topic) this.#assertRoom(topic.name);
    this.#topics.set(topic.name, topic);
    return topic;
  }

  /** Closes a topic and forgets it, then calls `onComplete`; false when it was not held. */
  async remove(name: string, reason: TopicCompleteReason = 'closed'): Promise<boolean> {
    const topic = this.#topics.get(name);
    if (!topic) return false;
    this.#topics.delete(name);
    await topic.close();
    if (this.#onComplete) {
      try {
        await this.#onComplete(topic, reason);
      } catch (err) {
        this.#onError(err);
      }
    }
    return true;
  }

  /** Every topic held. */
  topics(): IterableIterator<Topic> {
    return this.#topics.values();
  }

  /** Stats of every topic held. */
  stats(): TopicStatsSnapshot[] {
    return [...this.#topics.values()].map((t) => t.stats());
  }

  /**
   * One cleanup pass (the timer runs it every `cleanupIntervalMs`): applies age retention,
   * then removes topics closed elsewhere, idle ones and timed-out ones.
   */
  async sweep(): Promise<void> {
    const now = this.#clock.now();
    for (const topic of [...this.#topics.values()]) {
      if (this.#topics.get(topic.name) !== topic) continue;
      let reason: TopicCompleteReason | undefined;
      if (topic.closed) reason = 'closed';
      else if (now - topic.createdAt >= this.#timeoutMs) reason = 'timeout';
      else if (topic.subscriberCount === 0 && now - topic.lastActivityAt >= this.#idleTimeoutMs)
        reason = 'idle';
      if (reason) await this.remove(topic.name, reason);
      else await topic.trim();
    }
  }

  /** Stops cleanup and removes every topic (`onComplete` with `closed`). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const name of [...this.#topics.keys()]) await this.remove(name, 'closed');
  }

  #arm(): void {
    if (this.#intervalMs === 0 || this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.sweep()
        .catch((err: unknown) => this.#onError(err))
        .finally(() => this.#arm());
    }, this.#intervalMs);
  }

  #assertRoom(name: string): void {
    if (this.#closed) throw new SpoolError('TOPIC_CLOSED', 'This TopicRegistry is closed.');
    if (this.#topics.size >= this.#maxTopics)
      throw new SpoolError(
        'TOO_MANY_TOPICS',
        `Cannot add topic "${name}": the registry holds its maximum of ${this.#maxTopics} topics (\`maxTopics\`).`,
      );
  }
}

function matcher(match: TopicPattern['match']): (name: string) => boolean {
  if (typeof match === 'function') return match;
  if (match instanceof RegExp) return (name) => match.test(name);
  if (typeof match !== 'string')
    throw new SpoolError(
      'INVALID_OPTION',
      '`patterns[].match` must be a glob string, a RegExp or a function.',
    );
  const re = new RegExp(`^${match.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
  return (name) => re.test(name);
}

function duration(name: string, value: number): number {
  if (!(value > 0) || (value !== Number.POSITIVE_INFINITY && !Number.isSafeInteger(value)))
    throw new SpoolError(
      'INVALID_OPTION',
      `\`${name}\` must be a positive integer of milliseconds or Infinity, got ${String(value)}.`,
    );
  return value;
}
