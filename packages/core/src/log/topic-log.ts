import type { EventId, ParsedEventId } from '../protocol/event-id';
import type { TrimRules } from './retention';
import type { TopicEvent, TopicEventPayload } from './topic-event';

/** What {@link TopicLog.append} takes: the encoded payload and, for replication, an explicit ID. */
export interface TopicLogAppend extends TopicEventPayload {
  /** Append with this ID instead of generating one; it must be greater than the last. */
  id?: ParsedEventId | undefined;
  /**
   * A publish idempotency key (already scoped by its publisher and topic). A shared log
   * applies it across instances: when it names an event already, nothing is appended and
   * the append resolves to that event, with `duplicate` set. A log in one process ignores
   * it (the server's per-instance window handles keys there). A duplicate's event carries
   * the first event's ID (and the data given now); no hook or watcher hears of it.
   */
  key?: string | undefined;
}

/** A page of {@link TopicLog.read}. */
export interface TopicLogPage {
  /** Events with an ID greater than `after`, oldest first. */
  events: TopicEvent[];
  /**
   * The log holds every event it was ever given after this ID: the last ID trimmed, or the
   * creation floor while nothing has been trimmed. A reader whose position is below it may
   * have missed events.
   */
  floor: EventId;
  /**
   * True when the log holds an event whose ID is exactly `after`. With `floor`, it is what
   * the resume rule needs: a position is served from the log alone when it is the floor or
   * an event the log holds (docs/protocol.md, "The resume rule").
   */
  holdsAfter: boolean;
}

/**
 * What {@link TopicLog.watch} calls. A shared log hands every event to `events`, its own
 * appends and other writers' alike, in ID order, each once; `gap` says it could not (events
 * it was to hand out were trimmed before it read them), and the topic sends its live
 * subscribers back through catchup, where the resume rule decides.
 */
export interface TopicLogWatcher {
  /** The next events of the log, in ID order, each once: this instance's appends and other writers'. */
  events(events: readonly TopicEvent[]): void;
  /** Events the watcher was to get were trimmed before they could be read: live readers must catch up. */
  gap(): void;
}

/**
 * The storage under a {@link Topic}: an append-only, bounded event log. Every method that
 * could touch the network is async, so a Redis Streams log (XADD with trimming, XRANGE)
 * can replace {@link MemoryTopicLog} without changing topics.
 *
 * Contract:
 * - IDs strictly increase. Generated IDs follow Redis's rule on the log's clock
 *   (`nextEventId`); an explicit ID must be greater than the last (`ID_TOO_SMALL`).
 * - `append` promises resolve in ID order (one connection pipelining XADDs does), so the
 *   topic fans events out in order.
 * - Trimming only ever removes the oldest events (a prefix), so "everything after
 *   `floor`" is always contiguous.
 * - The floor starts at `creationFloor`, below every ID the log issues, and only rises.
 * - The getters may return cached values for a remote log; they are for stats.
 *
 * @example
 * const topic = new Topic('jobs', { log: new MemoryTopicLog({ clock }) });
 */
export interface TopicLog {
  /**
   * Appends one event, then trims by `rules` (as XADD's MAXLEN/MINID does), calling the
   * rules' hooks for what enters and leaves.
   */
  append(input: TopicLogAppend, rules?: TrimRules): Promise<TopicEvent>;
  /** At most `limit` events with an ID greater than `after` (`limit` 0: only the floor and `holdsAfter`). */
  read(after: EventId, limit: number): Promise<TopicLogPage>;
  /** Trims the oldest events by `rules` (calling `onDrop` for each); resolves to how many went. */
  trim(rules: TrimRules): Promise<number>;
  /** Retained events. */
  readonly length: number;
  /** Sum of the retained events' `size`. */
  readonly bytes: number;
  /** The oldest retained event's ID. */
  readonly firstId: EventId | undefined;
  /** The last ID ever appended, even when trimmed since. */
  readonly lastId: EventId | undefined;
  /** See {@link TopicLogPage.floor}. It may lag (never lead) on a remote log: pages correct it. */
  readonly floor: EventId;
  /**
   * The floor the log was created with: just below the first ID it issues, so that a
   * position from before its life is never taken for "nothing missed". A Redis log records
   * it when it creates the stream; its floor is then max(max-deleted-entry-id, this).
   */
  readonly creationFloor: EventId;
  /**
   * Registers `listener`, called when the log finds it lost events it held: a remote log
   * whose storage was emptied (a Redis restarted without persistence) starts a new life
   * whose floor, given to the listener, sits above everything the old one issued. The
   * topic answers with a `reset` to its subscribers. Returns the function that removes it.
   * A log that cannot lose events (in memory) leaves it out.
   */
  onLost?(listener: (floor: EventId) => void): () => void;
  /**
   * Present on a log that other writers share (a Redis stream several instances append to):
   * from the call on, `watcher` gets every event appended after the log's `lastId` (its
   * `floor` while it has none), whoever appended it, in ID order, each once. The events of
   * this log's own `append` reach it before that append's promise resolves. A topic on such
   * a log fans out from here, never from `append`, and watches only while it has
   * subscribers: the log may stop following other writers when nobody watches. Returns the
   * function that stops watching. A log with one writer (in memory) leaves it out.
   */
  watch?(watcher: TopicLogWatcher): () => void;
  /**
   * A shared log whose `lastId` may be a guess (not loaded yet, or stale while nobody
   * watched): a promise of the stream's last ID (its floor when empty) as of a fresh read,
   * or undefined when `lastId` can be trusted. A topic starts a live subscriber there, as a
   * resume from that ID, so that the position it announces is one any instance serves, and
   * nothing appended after the subscribe is missed.
   */
  ready?(): Promise<EventId> | undefined;
  /** Releases resources; called when the topic closes. */
  close?(): Promise<void>;
}
