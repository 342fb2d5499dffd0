import { SpoolError } from '../errors';
import {
  compareParsedEventIds,
  type EventId,
  formatEventId,
  idBefore,
  nextEventId,
  type ParsedEventId,
  parseEventId,
} from '../protocol/event-id';
import { type Clock, realClock } from '../time/clock';
import type { TrimRules } from './retention';
import { createTopicEvent, type TopicEvent } from './topic-event';
import type { TopicLog, TopicLogAppend, TopicLogPage } from './topic-log';

/** Options of {@link MemoryTopicLog}. */
export interface MemoryTopicLogOptions {
  /** Generates IDs and stamps `time`. @default realClock */
  clock?: Clock;
  /**
   * The log's floor when it is created: it holds every event it is given after this ID,
   * and nothing at or before it. The default sits just below the first ID the log would
   * issue now, so a position from a previous life of the topic (a restart, another
   * process) is never mistaken for "nothing missed" (docs/protocol.md, "The resume rule").
   * Give an explicit ID to place a log after a known history, e.g. the last ID of a
   * replica it replaces.
   * @default the ID just below `<clock.now()>-0`
   */
  creationFloor?: EventId;
}

/** Below this many dead slots the array is not compacted (shifting would cost more). */
const COMPACT_MIN = 1024;

/**
 * The in-memory {@link TopicLog}: an array with a moving head, so appends and trims are
 * O(1) amortised and a read after an ID is a binary search plus the page, O(log n + k).
 *
 * @example
 * const log = new MemoryTopicLog({ clock: createManualClock(1_000) });
 * const topic = new Topic('jobs', { log, retention: { maxEvents: 100 } });
 */
export class MemoryTopicLog implements TopicLog {
  readonly #clock: Clock;
  /** Slots before `#head` are trimmed (cleared to release the events). */
  #events: (TopicEvent | undefined)[] = [];
  #head = 0;
  /**
   * The IDs again, in typed arrays at the same indexes: the binary search reads these
   * contiguous numbers instead of chasing a pointer to each event it probes, which keeps a
   * search in a million events about as cheap as in a thousand.
   */
  /** `[ms0, seq0, ms1, seq1, ...]`: both halves of an ID share a cache line. */
  #keys = new Float64Array(128);
  #bytes = 0;
  #last: ParsedEventId | undefined;
  #floor: ParsedEventId;
  readonly #creationFloor: EventId;

  constructor(options: MemoryTopicLogOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#creationFloor =
      options.creationFloor ?? formatEventId(idBefore(nextEventId(undefined, this.#clock.now())));
    this.#floor = parseEventId(this.#creationFloor);
  }

  get length(): number {
    return this.#events.length - this.#head;
  }
  get bytes(): number {
    return this.#bytes;
  }
  get firstId(): EventId | undefined {
    return this.#events[this.#head]?.id;
  }
  get lastId(): EventId | undefined {
    return this.#last && formatEventId(this.#last);
  }
  get floor(): EventId {
    return formatEventId(this.#floor);
  }
  get creationFloor(): EventId {
    return this.#creationFloor;
  }

  // `async` with no await inside: the work happens synchronously at call time, so IDs
  // are assigned in call order and the promises resolve in that order (the contract).
  async append(input: TopicLogAppend, rules?: TrimRules): Promise<TopicEvent> {
    const base = this.#last ?? this.#floor;
    let id: ParsedEventId;
    if (input.id) {
      if (compareParsedEventIds(input.id, base) <= 0)
        throw new SpoolError(
          'ID_TOO_SMALL',
          `Event ID ${formatEventId(input.id)} must be greater than the log's last ID ${formatEventId(base)}.`,
        );
      id = input.id;
    } else id = nextEventId(base, this.#clock.now());
    const event = createTopicEvent(id, input, this.#clock.now());
    const at = this.#events.length;
    if (2 * at === this.#keys.length) this.#growKeys();
    this.#keys[2 * at] = id.ms;
    this.#keys[2 * at + 1] = id.seq;
    this.#events.push(event);
    this.#bytes += event.size;
    this.#last = id;
    rules?.onAppend?.(event);
    if (rules) this.#trim(rules);
    return event;
  }

  async read(after: EventId, limit: number): Promise<TopicLogPage> {
    const id = parseEventId(after);
    const from = this.#firstAfter(id);
    const end = Math.min(this.#events.length, from + Math.max(0, limit));
    const held =
      from > this.#head && this.#keys[2 * from - 2] === id.ms && this.#keys[2 * from - 1] === id.seq;
    return {
      events: this.#events.slice(from, end) as TopicEvent[],
      floor: formatEventId(this.#floor),
      holdsAfter: held,
    };
  }

  async trim(rules: TrimRules): Promise<number> {
    return this.#trim(rules);
  }

  async close(): Promise<void> {
    this.#events = [];
    this.#head = 0;
    this.#keys = new Float64Array(128);
    this.#bytes = 0;
  }

  #trim(rules: TrimRules): number {
    let dropped = 0;
    const oldest = rules.maxAgeMs === Number.POSITIVE_INFINITY ? -1 : this.#clock.now() - rules.maxAgeMs;
    for (;;) {
      // Soft limits: drop from the head while it is past retention and not pinned. A
      // pinned head stops the loop, so the log stays one contiguous range.
      for (let ev = this.#events[this.#head]; ev; ev = this.#events[this.#head]) {
        const past = this.length > rules.maxEvents || this.#bytes > rules.maxBytes || ev.time <= oldest;
        if (!past || rules.isPinned(ev)) break;
        this.#drop(rules);
        dropped++;
      }
      // Hard limits win over pins (memory stays bounded); what the squeezed head held back
      // then goes by the soft limits again.
      if (this.length === 0 || (this.length <= rules.hardMaxEvents && this.#bytes <= rules.hardMaxBytes))
        return dropped;
      this.#drop(rules);
      dropped++;
    }
  }

  #drop(rules: TrimRules): void {
    // Not `rules.onDrop?.(this.#dropHead())`: an optional call skips evaluating its arguments.
    const ev = this.#dropHead();
    rules.onDrop?.(ev);
  }

  #dropHead(): TopicEvent {
    const ev = this.#events[this.#head]!;
    this.#events[this.#head] = undefined;
    this.#head++;
    this.#bytes -= ev.size;
    this.#floor = { ms: ev.ms, seq: ev.seq };
    if (this.#head >= COMPACT_MIN && this.#head * 2 >= this.#events.length) {
      const n = this.#events.length - this.#head;
      this.#keys.copyWithin(0, 2 * this.#head, 2 * (this.#head + n));
      this.#events = this.#events.slice(this.#head);
      this.#head = 0;
    }
    return ev;
  }

  #growKeys(): void {
    const keys = new Float64Array(this.#keys.length * 2);
    keys.set(this.#keys);
    this.#keys = keys;
  }

  /** Index of the first retained event with an ID greater than `id` (binary search). */
  #firstAfter(id: ParsedEventId): number {
    let lo = this.#head;
    let hi = this.#events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const ms = this.#keys[2 * mid]!;
      if (ms < id.ms || (ms === id.ms && this.#keys[2 * mid + 1]! <= id.seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
