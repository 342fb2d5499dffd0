import {
  compareParsedEventIds,
  type EventId,
  formatEventId,
  idAfter,
  MIN_EVENT_ID,
  type ParsedEventId,
  parseEventId,
} from '../protocol/event-id';
import type { MessageId } from '../protocol/message-id';
import { ChatEvent, type MsgDeltaData, type MsgSnapshotData } from '../protocol/messages';
import type { CatchupPlan } from './catchup-plan';
import { compareEventTo, type TopicEvent } from './topic-event';
import type { TopicLogPage } from './topic-log';

/** One page of a catchup. */
export interface CatchupPage {
  /** Events in strictly increasing ID order, none at or before the reader's last one. */
  events: TopicEvent[];
  /**
   * Set when part of the range is gone: the earliest ID still available (the first of
   * `events`, or, when nothing follows yet, the ID right after the reader's position at
   * the end of the log). It applies before `events`. The reader may have moved back for
   * it (a position the log never held), so `earliest` can be below the old position: a
   * subscriber takes "just below `earliest`" as its position.
   */
  reset?: EventId;
  /** True when the reader had reached the end of the log when this page was read. */
  done: boolean;
}

/** What a {@link CatchupReader} needs from its topic. */
export interface CatchupHost {
  /**
   * Plans the resume after `after` (see {@link TopicCatchup.plan}), with the log's floor at planning time;
   * `rewind`: the position never existed in this log, so reading starts over from the plan's start.
   */
  plan(
    after: EventId,
    fromStart: boolean,
    compact: boolean,
    due: ReadonlyMap<MessageId, EventId>,
  ): Promise<
    CatchupPlan & {
      /** The log's floor when the plan was made. */
      floor: EventId;
      /** The position never existed in this log: reading starts over from the plan's start. */
      rewind?: boolean;
    }
  >;
  /** Reads up to `limit` events of the retained log after `after`. */
  readLog(after: EventId, limit: number): Promise<TopicLogPage>;
  /** Holds the topic's catchup gate for one page (see `persistAndClear`). */
  acquire(): Promise<() => void>;
  /** Events read per page of the log. */
  readonly pageSize: number;
}

type Source = 'prefix' | 'overlay' | 'log';

interface Cover {
  ms: number;
  seq: number;
  lastChunkId: number;
  /** The snapshot says the message ended: in compact mode it stands for its `msg.end` too. */
  ended: boolean;
}

/**
 * Serves one resume in pages: the plan's prefix, overlay snapshots and the retained log,
 * merged in ID order, with no duplicate and no gap at the seams. The reader keeps its
 * place between pages (which snapshot is still due, which deltas it covers), so a paused
 * subscription resumes exactly. When trimming overtakes it (the log's floor passes its
 * position), it plans again from its last event, keeping the snapshots still due.
 *
 * @example
 * const reader = topic.catchup(lastEventId);
 * for (let page = await reader.next(100); ; page = await reader.next(100)) {
 *   if (page.reset) send({ op: 'reset', earliest: page.reset });
 *   for (const ev of page.events) send(topic.frame(ev));
 *   if (page.done) break;
 * }
 */
export class CatchupReader {
  readonly #host: CatchupHost;
  readonly #compact: boolean;
  #fromStart: boolean;
  /** Last delivered (or the start). */
  #cursor: ParsedEventId;
  #delivered = false;
  /** Last consumed, delivered or skipped as covered. */
  #position: ParsedEventId;
  #planned = false;
  #resetPending = false;
  #prefix: AsyncIterator<TopicEvent> | Iterator<TopicEvent> | undefined;
  /** undefined: not fetched yet; null: exhausted. */
  #prefixHead: TopicEvent | null | undefined;
  #overlay: TopicEvent[] = [];
  #overlayAt = 0;
  #covers = new Map<MessageId, Cover>();
  #logCursor: ParsedEventId;
  #logBuf: TopicEvent[] = [];
  #logAt = 0;
  #logExhausted = false;
  /** Log events per read: what the current page still wants, within the host's page size. */
  #want = 1;

  constructor(host: CatchupHost, after: EventId, compact: boolean) {
    this.#host = host;
    this.#compact = compact;
    this.#fromStart = after === MIN_EVENT_ID;
    this.#cursor = parseEventId(after);
    this.#position = this.#cursor;
    this.#logCursor = this.#cursor;
  }

  /** The last event consumed (delivered, or skipped because a delivered snapshot covers it). */
  get position(): ParsedEventId {
    return this.#position;
  }

  /** The ID of the last delivered event (or where the reader started). */
  get lastId(): EventId {
    return formatEventId(this.#cursor);
  }

  /** Reads up to `limit` more events. */
  async next(limit: number): Promise<CatchupPage> {
    const release = await this.#host.acquire();
    try {
      if (!this.#planned) await this.#plan();
      this.#logExhausted = false;
      const events: TopicEvent[] = [];
      let reset = false;
      while (events.length < limit) {
        this.#want = Math.min(this.#host.pageSize, Math.max(16, limit - events.length));
        if (this.#needsIo()) await this.#fill();
        if (this.#resetPending) {
          // A reset applies before a page's events: a later one waits for the next page.
          if (events.length > 0 || reset) break;
          reset = true;
          this.#resetPending = false;
        }
        if (this.#onlyLog()) {
          // Nothing to merge or skip: copy the log page (touching no event but the ends).
          if (!this.#takeLog(events, limit)) break;
          continue;
        }
        const head = this.#pick();
        if (!head) break;
        const source = this.#picked;
        this.#consume(source);
        if (compareEventTo(head, this.#position) > 0) this.#position = head;
        if (compareEventTo(head, this.#cursor) <= 0) continue;
        if (source === 'log' && this.#covered(head)) continue;
        events.push(head);
        this.#cursor = head;
        this.#delivered = true;
      }
      const done = this.#logExhausted && this.#logAt >= this.#logBuf.length && this.#restEmpty();
      // Drained: the reader stands at the log's end even when the last events there were
      // trimmed or skipped, so its subscription can go live.
      if (done && compareParsedEventIds(this.#logCursor, this.#position) > 0)
        this.#position = this.#logCursor;
      const page: CatchupPage = { events, done };
      // With nothing to deliver the reader stands at the log's end (its last event or its
      // floor), so "just below earliest" is exactly that position: resumable, no reset again.
      if (reset) page.reset = events[0]?.id ?? formatEventId(idAfter(this.#position));
      return page;
    } finally {
      release();
    }
  }

  #restEmpty(): boolean {
    return this.#prefixHead === null && this.#overlayAt >= this.#overlay.length;
  }

  async #plan(): Promise<void> {
    const fromStart = this.#fromStart && !this.#delivered;
    // Snapshots placed by the last plan and not delivered yet: the new plan must place them again.
    const due = new Map<MessageId, EventId>();
    for (let i = this.#overlayAt; i < this.#overlay.length; i++) {
      const ev = this.#overlay[i]!;
      if (compareEventTo(ev, this.#cursor) > 0) due.set(ev.messageId!, ev.id);
    }
    const plan = await this.#host.plan(formatEventId(this.#cursor), fromStart, this.#compact, due);
    this.#fromStart = fromStart;
    if (plan.reset) this.#resetPending = true;
    if (plan.rewind) {
      // The position never existed in this log: start over from where the plan starts,
      // delivering again what lies below the old position. Covers of snapshots delivered
      // before belong to the old history.
      const from = parseEventId(plan.from ?? MIN_EVENT_ID);
      this.#cursor = from;
      this.#position = from;
      this.#covers.clear();
      this.#overlay = [];
      this.#overlayAt = 0;
    } else if (plan.from !== undefined) {
      const from = parseEventId(plan.from);
      if (compareParsedEventIds(from, this.#cursor) > 0) this.#cursor = from;
      if (compareParsedEventIds(from, this.#position) > 0) this.#position = from;
    }
    const previous = this.#prefix;
    this.#prefix = undefined;
    if (previous?.return) await previous.return();
    if (plan.prefix) {
      const p = plan.prefix as Partial<AsyncIterable<TopicEvent>> & Partial<Iterable<TopicEvent>>;
      this.#prefix = p[Symbol.asyncIterator] ? p[Symbol.asyncIterator]!() : p[Symbol.iterator]!();
      this.#prefixHead = undefined;
    } else this.#prefixHead = null;
    this.#setOverlay(plan.overlay ?? []);
    const floor = parseEventId(plan.floor);
    this.#logCursor = compareParsedEventIds(floor, this.#cursor) > 0 ? floor : this.#cursor;
    this.#logBuf = [];
    this.#logAt = 0;
    this.#logExhausted = false;
    this.#planned = true;
  }

  /** Installs a new plan's snapshots (which replace any the last plan had not delivered). */
  #setOverlay(next: readonly TopicEvent[]): void {
    for (let i = this.#overlayAt; i < this.#overlay.length; i++)
      this.#covers.delete(this.#overlay[i]!.messageId!);
    this.#overlay = next
      .filter((ev) => ev.messageId !== undefined && compareEventTo(ev, this.#cursor) > 0)
      .sort((a, b) => a.ms - b.ms || a.seq - b.seq);
    this.#overlayAt = 0;
    for (const ev of this.#overlay) {
      const { lastChunkId, status } = ev.data as MsgSnapshotData;
      this.#covers.set(ev.messageId!, { ms: ev.ms, seq: ev.seq, lastChunkId, ended: status === 'ended' });
    }
  }

  /** A log event a snapshot already covers: its message's events up to the snapshot, and its earlier chunks. */
  #covered(ev: TopicEvent): boolean {
    if (ev.messageId === undefined) return false;
    const cover = this.#covers.get(ev.messageId);
    if (!cover) return false;
    if (compareEventTo(ev, cover) <= 0) return true;
    // A stored message's snapshot stands at its last chunk, before its `msg.end`.
    if (this.#compact && cover.ended && ev.event === ChatEvent.End) return true;
    return ev.event === ChatEvent.Delta && (ev.data as MsgDeltaData).chunkId <= cover.lastChunkId;
  }

  /** Fetches what the sources need (the prefix's next event, a log page), re-planning when trimming overtook the reader. */
  async #fill(): Promise<void> {
    while (this.#needsIo()) {
      if (this.#prefixHead === undefined) {
        const r = await this.#prefix!.next();
        this.#prefixHead = r.done ? null : r.value;
        continue;
      }
      const want = this.#want;
      const page = await this.#host.readLog(formatEventId(this.#logCursor), want);
      if (compareParsedEventIds(parseEventId(page.floor), this.#logCursor) > 0) {
        // Trimming overtook this reader: what it has not read may be gone. Plan again.
        await this.#plan();
        continue;
      }
      this.#logBuf = page.events;
      this.#logAt = 0;
      this.#logExhausted = page.events.length < want;
    }
  }

  /** Only the log is left, and no snapshot covers any of its events. */
  #onlyLog(): boolean {
    return this.#prefixHead === null && this.#overlayAt >= this.#overlay.length && this.#covers.size === 0;
  }

  /** Moves log events into `events` (up to `limit`); false when the buffer was empty. */
  #takeLog(events: TopicEvent[], limit: number): boolean {
    const buf = this.#logBuf;
    let i = this.#logAt;
    if (i >= buf.length) return false;
    // Log events follow the log cursor; only a snapshot or source event delivered ahead of
    // it (cursor past it) leaves some at or before the cursor to skip.
    if (compareParsedEventIds(this.#cursor, this.#logCursor) > 0)
      while (i < buf.length && compareEventTo(buf[i]!, this.#cursor) <= 0) i++;
    const end = Math.min(buf.length, i + limit - events.length);
    for (let j = i; j < end; j++) events.push(buf[j]!);
    const last = buf[end - 1]!;
    this.#logAt = end;
    this.#logCursor = last;
    if (compareEventTo(last, this.#position) > 0) this.#position = last;
    if (end > i) {
      this.#cursor = last;
      this.#delivered = true;
    }
    return true;
  }

  #needsIo(): boolean {
    return this.#prefixHead === undefined || (this.#logAt >= this.#logBuf.length && !this.#logExhausted);
  }

  /** Where {@link #pick}'s event comes from. */
  #picked: Source = 'log';

  /** The next event in ID order (its source in `#picked`); ties go to the overlay, then the log. */
  #pick(): TopicEvent | undefined {
    let best: TopicEvent | undefined = this.#overlay[this.#overlayAt];
    this.#picked = 'overlay';
    const log = this.#logBuf[this.#logAt];
    if (log && (!best || compareEventTo(log, best) < 0)) {
      best = log;
      this.#picked = 'log';
    }
    const prefix = this.#prefixHead;
    if (prefix && (!best || compareEventTo(prefix, best) < 0)) {
      best = prefix;
      this.#picked = 'prefix';
    }
    return best;
  }

  #consume(source: Source): void {
    if (source === 'overlay') this.#overlayAt++;
    else if (source === 'prefix') this.#prefixHead = undefined;
    else this.#logCursor = this.#logBuf[this.#logAt++]!;
  }
}
