import { compareParsedEventIds, MIN_EVENT_ID, type ParsedEventId, parseEventId } from '../protocol/event-id';
import type { MessageId } from '../protocol/message-id';
import { ChatEvent } from '../protocol/messages';
import { compareEventTo, type TopicEvent } from './topic-event';

/** What a channel topic knows about one message that still has events in its log. */
export interface LedgerEntry {
  /** The message's retained events, oldest first (from `head`). */
  readonly events: readonly TopicEvent[];
  /** True once the message is in the store: its events may then be trimmed. */
  readonly persisted: boolean;
  /** The last of its events trimmed so far, when some were. */
  readonly trimmedThrough: TopicEvent | undefined;
}

interface Entry {
  events: TopicEvent[];
  head: number;
  persisted: boolean;
  trimmedThrough: TopicEvent | undefined;
}

/**
 * Per-message bookkeeping of a channel topic (ARCHITECTURE, "Chat events on a channel
 * topic"): which messages are persisted (so their events may be trimmed), which ones
 * straddle the trimmed edge (their resume needs a snapshot), and what no source can
 * rebuild (a resume from before it gets a `reset`).
 *
 * It also remembers two kinds of trimmed events, bounded by `maxRemembered`:
 * - the `msg.end` of persisted messages (tombstones): the store records a message before
 *   its `msg.end` is appended, so only the tombstone tells a client that saw every delta
 *   that the message ended;
 * - messages squeezed out by the hard memory cap before they were persisted: their
 *   resume needs a snapshot from the StreamCache (or, once persisted, the store).
 * Forgetting one of them marks it lost.
 */
export class MessageLedger {
  readonly #entries = new Map<MessageId, Entry>();
  /** Messages with retained events and trimmed ones. */
  readonly #straddlers = new Set<MessageId>();
  #tombstones: TopicEvent[] = [];
  /** Unpersisted messages with squeezed events: the last one squeezed, oldest first. */
  readonly #squeezed = new Map<MessageId, TopicEvent>();
  readonly #maxRemembered: number;
  readonly #since: ParsedEventId;
  #lostThrough: ParsedEventId = parseEventId(MIN_EVENT_ID);
  /** The newest event this ledger was told was dropped (`since` while none was). */
  #droppedThrough: ParsedEventId;

  /**
   * @param since The log's floor when the ledger starts: it sees every event after it, and
   *   knows nothing of what came before (a previous life of the topic, say).
   */
  constructor(maxRemembered: number, since: ParsedEventId = parseEventId(MIN_EVENT_ID)) {
    this.#maxRemembered = maxRemembered;
    this.#since = { ms: since.ms, seq: since.seq };
    this.#droppedThrough = this.#since;
  }

  /**
   * The ledger knows every event after this ID. A range that starts below it may hold
   * events nothing can rebuild (plain publishes, messages cut off by a restart), so a
   * resume from there always starts with a `reset`, even when the store covers part of it.
   */
  get since(): ParsedEventId {
    return this.#since;
  }

  /** Every trimmed event up to this ID that no source can rebuild; `0-0` when none. */
  get lostThrough(): ParsedEventId {
    return this.#lostThrough;
  }

  /** Number of messages with retained events. */
  get messages(): number {
    return this.#entries.size;
  }

  /** Records an event appended to the topic's log (events outside any message are ignored). */
  onAppend(ev: TopicEvent): void {
    if (ev.messageId === undefined) return;
    let entry = this.#entries.get(ev.messageId);
    if (!entry) {
      // A message squeezed out earlier that goes on: it straddles the trimmed edge.
      const squeezed = this.#squeezed.get(ev.messageId);
      entry = { events: [], head: 0, persisted: false, trimmedThrough: squeezed };
      this.#entries.set(ev.messageId, entry);
      if (squeezed) this.#straddlers.add(ev.messageId);
    }
    entry.events.push(ev);
    if (isPersistedEnd(ev)) this.markPersisted(ev.messageId);
  }

  /**
   * Records an event trimmed from the log: its message straddles the trimmed edge, or the event is lost
   * unless a source can rebuild it.
   */
  onDrop(ev: TopicEvent): void {
    if (compareEventTo(ev, this.#droppedThrough) > 0) this.#droppedThrough = { ms: ev.ms, seq: ev.seq };
    const entry = ev.messageId === undefined ? undefined : this.#entries.get(ev.messageId);
    if (!entry || ev.messageId === undefined) {
      // An event outside any message (a plain publish on the channel): nothing rebuilds it.
      this.#lose(ev);
      return;
    }
    // Trimming removes the log's oldest event, which is also this message's oldest.
    entry.events[entry.head] = undefined as unknown as TopicEvent;
    entry.head++;
    entry.trimmedThrough = ev;
    if (!entry.persisted && !isPersistedEnd(ev)) this.#squeeze(ev);
    else if (ev.event === ChatEvent.End) this.#tombstone(ev);
    if (entry.head >= entry.events.length) {
      this.#entries.delete(ev.messageId);
      this.#straddlers.delete(ev.messageId);
    } else {
      this.#straddlers.add(ev.messageId);
      if (entry.head >= 64 && entry.head * 2 >= entry.events.length) {
        entry.events = entry.events.slice(entry.head);
        entry.head = 0;
      }
    }
  }

  /**
   * The log's floor, as a catchup read it. A floor above every drop this ledger was told of
   * means another writer of a shared log trimmed (docs/architecture.md, "Topics across
   * instances"): whatever it removed, this ledger cannot say what rebuilds it (a message of
   * another instance whose start went, a tombstone), so all of it is lost here and a resume
   * from before it starts with a `reset`. With one writer the floor is always the last drop.
   */
  observeFloor(floor: ParsedEventId): void {
    if (compareParsedEventIds(floor, this.#droppedThrough) <= 0) return;
    this.#droppedThrough = { ms: floor.ms, seq: floor.seq };
    this.#lose(floor);
  }

  /** True while `ev` must stay: its message is not persisted (a `msg.end` saying `persisted: true` counts). */
  isPinned(ev: TopicEvent): boolean {
    if (ev.messageId === undefined) return false;
    return !this.#entries.get(ev.messageId)?.persisted && !isPersistedEnd(ev);
  }

  /** Marks a message persisted: from now on its events may be trimmed. */
  markPersisted(messageId: MessageId): void {
    const entry = this.#entries.get(messageId);
    if (entry) entry.persisted = true;
    // The store holds it now: its squeezed part is no longer a StreamCache matter.
    this.#squeezed.delete(messageId);
  }

  /** The message's entry, when it has retained events. */
  entry(messageId: MessageId): LedgerEntry | undefined {
    const e = this.#entries.get(messageId);
    return e && { events: e.events.slice(e.head), persisted: e.persisted, trimmedThrough: e.trimmedThrough };
  }

  /** Messages with retained events, each with its entry. */
  *entries(): IterableIterator<[MessageId, LedgerEntry]> {
    for (const id of this.#entries.keys()) yield [id, this.entry(id)!];
  }

  /** Messages that have both trimmed and retained events. */
  *straddlers(): IterableIterator<[MessageId, LedgerEntry]> {
    for (const id of this.#straddlers) yield [id, this.entry(id)!];
  }

  /** Unpersisted messages whose events were squeezed out, with the last one squeezed. */
  squeezed(): IterableIterator<[MessageId, TopicEvent]> {
    return this.#squeezed.entries();
  }

  /** True when the message has retained events. */
  has(messageId: MessageId): boolean {
    return this.#entries.has(messageId);
  }

  /** Trimmed `msg.end` events of persisted messages with an ID greater than `after`. */
  tombstonesAfter(after: ParsedEventId): TopicEvent[] {
    let lo = 0;
    let hi = this.#tombstones.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEventTo(this.#tombstones[mid]!, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return this.#tombstones.slice(lo);
  }

  #tombstone(ev: TopicEvent): void {
    this.#tombstones.push(ev);
    // Cut back in batches (at a quarter over the limit) so trimming stays O(1) amortised.
    if (this.#tombstones.length > this.#maxRemembered + Math.max(1, this.#maxRemembered >> 2)) {
      // Forgetting a tombstone forgets that its message ended: a resume from before it
      // must get a reset rather than a message that never ends.
      const excess = this.#tombstones.length - this.#maxRemembered;
      this.#lose(this.#tombstones[excess - 1]!);
      this.#tombstones = this.#tombstones.slice(excess);
    }
  }

  #squeeze(ev: TopicEvent): void {
    const id = ev.messageId!;
    this.#squeezed.delete(id); // re-insert: the map stays in squeeze order
    this.#squeezed.set(id, ev);
    if (this.#squeezed.size > this.#maxRemembered) {
      const [oldest, through] = this.#squeezed.entries().next().value as [MessageId, TopicEvent];
      this.#squeezed.delete(oldest);
      this.#lose(through);
    }
  }

  #lose(ev: ParsedEventId): void {
    if (compareParsedEventIds(ev, this.#lostThrough) > 0) this.#lostThrough = { ms: ev.ms, seq: ev.seq };
  }
}

/** A `msg.end` that reports the message persisted. */
function isPersistedEnd(ev: TopicEvent): boolean {
  return ev.event === ChatEvent.End && (ev.data as { persisted?: unknown } | null)?.persisted === true;
}
