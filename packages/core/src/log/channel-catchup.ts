import { SpoolError } from '../errors';
import {
  compareParsedEventIds,
  type EventId,
  formatEventId,
  type ParsedEventId,
  parseEventId,
} from '../protocol/event-id';
import type { MessageId } from '../protocol/message-id';
import { ChatEvent, type MsgSnapshotData, parseChannelTopic } from '../protocol/messages';
import type { MessageStore, StoreChannel } from '../store/message-store';
import { type CatchupContext, type CatchupPlan, logCatchup, type TopicCatchup } from './catchup-plan';
import type { LedgerEntry, MessageLedger } from './message-ledger';
import { snapshotEvent, snapshotFromEvents, storedMessageSnapshot } from './message-snapshot';
import { compareEventTo, type TopicEvent } from './topic-event';

/** A snapshot of a message still open, with the event IDs that place it in its topic. */
export interface OpenMessageSnapshot {
  /** `text` holds exactly chunks 0..`lastChunkId`, all of them already on the topic. */
  snapshot: MsgSnapshotData;
  /** ID of the message's `msg.open` event. */
  firstEventId?: EventId;
  /**
   * ID of the event that carried chunk `lastChunkId` (of `msg.open` when there is no chunk
   * yet): the snapshot stands in for the message's events up to it.
   */
  lastEventId: EventId;
}

/**
 * Where {@link ChannelCatchup} gets messages still being written. The server implements
 * it over its StreamCache, recording each message's event IDs as it appends them.
 *
 * @example
 * const open: OpenMessageSource = {
 *   async openMessages(topic) { return cache.openSnapshots(topic); },
 * };
 */
export interface OpenMessageSource {
  /** Snapshots of the open messages of the channel whose topic is `channelTopic`. */
  openMessages(channelTopic: string): Promise<readonly OpenMessageSnapshot[]>;
}

/** Options of {@link ChannelCatchup}. */
export interface ChannelCatchupOptions {
  /** Finished messages: snapshots for what the log no longer holds. */
  store: MessageStore;
  /** Open messages (the StreamCache): snapshots for messages still streaming. */
  open?: OpenMessageSource;
  /** Messages per `store.listAfter` call. @default 100 */
  storePageSize?: number;
}

/** Defaults of {@link ChannelCatchupOptions}. */
export const channelCatchupDefaults = { storePageSize: 100 } as const;

/**
 * The heart of resume on a channel topic (ARCHITECTURE, "Chat events on a channel
 * topic"). When the log no longer holds the missed range, the range is served in event-ID
 * order: a `msg.snapshot` from the store for each message that has ended, a `msg.snapshot`
 * from the StreamCache for each message still open, then the log tail without the deltas
 * a snapshot covers. Each snapshot's `id` is the ID of the last event it covers, so the
 * client's last event ID advances exactly. With `compact`, each message in the range is
 * replaced by one snapshot even when the log holds it all.
 *
 * Events nothing can rebuild (a plain publish on the channel, a message squeezed out by
 * the hard memory cap before it was persisted) make the resume start with a `reset`.
 *
 * @example
 * const catchup = new ChannelCatchup({ store, open: cacheSnapshots });
 * const registry = new TopicRegistry({
 *   patterns: [{ match: 'chan:*', options: { retainUntilPersisted: 'messages', catchup } }],
 * });
 */
export class ChannelCatchup implements TopicCatchup {
  /** It plans from the message ledger, which a topic keeps under this policy only. */
  readonly retainUntilPersisted = 'messages' as const;
  readonly #store: MessageStore;
  readonly #open: OpenMessageSource | undefined;
  readonly #pageSize: number;
  readonly #fallback = logCatchup();

  constructor(options: ChannelCatchupOptions) {
    if (!options || typeof options.store?.listAfter !== 'function')
      throw new SpoolError(
        'INVALID_OPTION',
        '`store` must be a MessageStore (e.g. new MemoryMessageStore()).',
      );
    const pageSize = options.storePageSize ?? channelCatchupDefaults.storePageSize;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1)
      throw new SpoolError(
        'INVALID_OPTION',
        `\`storePageSize\` must be a positive integer, got ${String(pageSize)}.`,
      );
    this.#store = options.store;
    this.#open = options.open;
    this.#pageSize = pageSize;
  }

  /**
   * Plans a resume of a channel topic: snapshots of stored and still-streaming messages for what the log no
   * longer holds (or, with `compact`, for every message); other topics get the default plan.
   */
  async plan(ctx: CatchupContext): Promise<CatchupPlan> {
    const channel = parseChannelTopic(ctx.topic);
    const ledger = ctx.ledger;
    if (!channel || !ledger) return this.#fallback.plan(ctx);
    const floor = parseEventId(ctx.floor);
    // Trims by other writers of a shared log, which the ledger was not told of, count as lost.
    ledger.observeFloor(floor);
    let from = parseEventId(ctx.after);
    const gap = !ctx.fromStart && compareParsedEventIds(from, floor) < 0;
    // Before the ledger's knowledge (a previous life of the topic) nothing says what is
    // missing, so the resume is never "fully covered": a reset, then the store's snapshots
    // from `from` on, which are whole messages, then the tail (docs/protocol.md).
    let reset = gap && compareParsedEventIds(from, ledger.since) < 0;
    if (gap && compareParsedEventIds(from, ledger.lostThrough) < 0) {
      reset = true;
      from = ledger.lostThrough;
    }
    let open: Map<MessageId, OpenMessageSnapshot> | undefined;
    const openSnapshot = async (messageId: MessageId) => {
      if (!open) open = await this.#openMessages(ctx.topic);
      return open.get(messageId);
    };
    const allOpen = async () => {
      if (!open) open = await this.#openMessages(ctx.topic);
      return open;
    };
    for (;;) {
      const overlay = new Map<MessageId, TopicEvent>();
      /** StreamCache snapshots at or before the floor: they go in the prefix. */
      const extra: TopicEvent[] = [];
      let missing: ParsedEventId | undefined;
      // One picture of the ledger, taken at one instant: appends go on while the store and
      // the StreamCache are asked, and a squeezed message whose next event arrives in
      // between turns into a straddler. Copied one loop at a time, it would be in neither
      // copy and its snapshot would be missing from the plan.
      const straddlers = [...ledger.straddlers()];
      const squeezed = [...ledger.squeezed()].filter(([messageId]) => !ledger.has(messageId));
      for (const [messageId, entry] of straddlers) {
        const last = entry.events.at(-1)!;
        // The client lacks the trimmed part (a gap), or compact wants the whole message.
        const needed = !ctx.fromStart && compareEventTo(entry.trimmedThrough!, from) > 0;
        if (!needed && !(ctx.compact && compareEventTo(last, from) > 0)) continue;
        const snap = await this.#snapshotOf(messageId, entry, openSnapshot);
        if (!snap) {
          if (needed && (!missing || compareEventTo(entry.trimmedThrough!, missing) > 0))
            missing = { ms: entry.trimmedThrough!.ms, seq: entry.trimmedThrough!.seq };
          continue;
        }
        let at = snap.at;
        const end = ctx.compact && snap.data.status === 'ended' ? endOf(entry) : undefined;
        if (end && compareEventTo(end, at) > 0) at = { ms: end.ms, seq: end.seq };
        if (compareParsedEventIds(at, from) <= 0) continue;
        if (compareParsedEventIds(at, floor) > 0)
          overlay.set(messageId, snapshotEvent(at, snap.data, ctx.now));
        // At or before the floor, the store listing of the prefix places a stored message.
        else if (snap.from === 'open') extra.push(snapshotEvent(at, snap.data, ctx.now));
      }
      // Messages squeezed out whole before they were persisted: the StreamCache rebuilds
      // them (or the store, if they were persisted since; its listing places them).
      if (!ctx.fromStart) {
        for (const [messageId, through] of squeezed) {
          if (compareEventTo(through, from) <= 0) continue;
          const open = await openSnapshot(messageId);
          if (open) {
            const at = parseEventId(open.lastEventId);
            if (compareParsedEventIds(at, from) <= 0) continue;
            const ev = snapshotEvent(at, open.snapshot, ctx.now);
            if (compareParsedEventIds(at, floor) <= 0) extra.push(ev);
            else overlay.set(messageId, ev);
          } else if (!(await this.#store.get(messageId))) {
            if (!missing || compareEventTo(through, missing) > 0)
              missing = { ms: through.ms, seq: through.seq };
          }
        }
      }
      // Snapshots a paused or overtaken reader still owes its subscriber: place them again.
      for (const [messageId, placedAt] of ctx.due) {
        const placed = parseEventId(placedAt);
        const had = overlay.get(messageId);
        if (had) {
          if (compareEventTo(had, placed) < 0)
            overlay.set(messageId, snapshotEvent(placed, had.data as MsgSnapshotData, ctx.now));
          continue;
        }
        const snap = await this.#dueSnapshot(messageId, ledger, openSnapshot);
        if (!snap) {
          // The subscriber skipped some of its events for a snapshot nothing can give now.
          reset = true;
          continue;
        }
        let at = compareParsedEventIds(snap.at, placed) > 0 ? snap.at : placed;
        const entry = ledger.entry(messageId);
        const end = ctx.compact && snap.data.status === 'ended' && entry ? endOf(entry) : undefined;
        if (end && compareEventTo(end, at) > 0) at = { ms: end.ms, seq: end.seq };
        overlay.set(messageId, snapshotEvent(at, snap.data, ctx.now));
      }
      if (missing) {
        // A message lost its trimmed part and nothing can rebuild it: reset past it.
        reset = true;
        from = missing;
        continue;
      }
      if (ctx.compact) {
        this.#compactFromLog(ledger, from, overlay, ctx.now);
        // Messages the ledger never saw (open on another instance sharing the log): the
        // source's snapshot stands for their events up to it (docs/architecture.md,
        // "Messages across instances"); the tail gives the rest.
        for (const [messageId, snap] of this.#open ? await allOpen() : []) {
          if (overlay.has(messageId) || ledger.has(messageId) || squeezed.some(([id]) => id === messageId))
            continue;
          const at = parseEventId(snap.lastEventId);
          if (compareParsedEventIds(at, from) <= 0) continue;
          const ev = snapshotEvent(at, snap.snapshot, ctx.now);
          if (compareParsedEventIds(at, floor) > 0) overlay.set(messageId, ev);
          else extra.push(ev);
        }
        if (ctx.shared) await this.#compactStored(channel, from, floor, ledger, overlay, ctx.now);
      }
      const plan: CatchupPlan = {
        reset,
        from: formatEventId(from),
        overlay: [...overlay.values()].sort((a, b) => a.ms - b.ms || a.seq - b.seq),
      };
      if (compareParsedEventIds(from, floor) < 0)
        plan.prefix = this.#prefix(channel, from, floor, ledger, extra, overlay, ctx.now);
      return plan;
    }
  }

  /** Messages whose whole history is retained: one snapshot built from their own events. */
  #compactFromLog(
    ledger: MessageLedger,
    from: ParsedEventId,
    overlay: Map<MessageId, TopicEvent>,
    now: number,
  ): void {
    for (const [messageId, entry] of [...ledger.entries()]) {
      if (overlay.has(messageId) || entry.trimmedThrough) continue;
      const last = entry.events.at(-1)!;
      if (compareEventTo(last, from) <= 0) continue;
      const data = snapshotFromEvents(entry.events);
      if (data) overlay.set(messageId, snapshotEvent(last, data, now));
    }
  }

  /**
   * On a shared log: the messages other writers produced and ended inside the retained log,
   * which this ledger never saw, as one snapshot each from the store, placed at their last
   * chunk's event (the catchup reader lets an ended snapshot cover the message's `msg.end`).
   * A message not stored (its save failed) keeps its events. docs/architecture.md, "Messages
   * across instances".
   */
  async #compactStored(
    channel: StoreChannel,
    from: ParsedEventId,
    floor: ParsedEventId,
    ledger: MessageLedger,
    overlay: Map<MessageId, TopicEvent>,
    now: number,
  ): Promise<void> {
    // Before the floor the prefix places stored messages already.
    let after = formatEventId(compareParsedEventIds(from, floor) > 0 ? from : floor);
    for (;;) {
      const messages = await this.#store.listAfter(channel, after, { limit: this.#pageSize });
      for (const m of messages) {
        after = m.lastEventId;
        if (overlay.has(m.messageId) || ledger.has(m.messageId)) continue;
        overlay.set(m.messageId, snapshotEvent(parseEventId(m.lastEventId), storedMessageSnapshot(m), now));
      }
      if (messages.length < this.#pageSize) return;
    }
  }

  /**
   * What lies before the retained log, in ID order: store snapshots of the messages that
   * ended there, the trimmed `msg.end` events, and `extra` (open-message snapshots).
   */
  async *#prefix(
    channel: StoreChannel,
    from: ParsedEventId,
    floor: ParsedEventId,
    ledger: MessageLedger,
    extra: TopicEvent[],
    overlay: ReadonlyMap<MessageId, TopicEvent>,
    now: number,
  ): AsyncGenerator<TopicEvent> {
    const tombstones = [...ledger.tombstonesAfter(from), ...extra].sort(
      (a, b) => a.ms - b.ms || a.seq - b.seq,
    );
    const snapshotted = new Set<MessageId>();
    const endedBySnapshot = (id: MessageId) =>
      snapshotted.has(id) || (overlay.get(id)?.data as MsgSnapshotData | undefined)?.status === 'ended';
    let t = 0;
    let after = formatEventId(from);
    let page: TopicEvent[] = [];
    let p = 0;
    let more = true;
    for (;;) {
      if (p >= page.length && more) {
        const messages = await this.#store.listAfter(channel, after, { limit: this.#pageSize });
        more = messages.length === this.#pageSize;
        page = [];
        p = 0;
        for (const m of messages) {
          after = m.lastEventId;
          const at = parseEventId(m.lastEventId);
          if (compareParsedEventIds(at, floor) > 0) {
            // Past the floor the log (and the overlay) take over.
            more = false;
            break;
          }
          if (overlay.has(m.messageId)) continue;
          page.push(snapshotEvent(at, storedMessageSnapshot(m), now));
          snapshotted.add(m.messageId);
        }
      }
      const snap = page[p];
      const end = tombstones[t];
      if (!snap && !end) return;
      if (snap && (!end || compareEventTo(snap, end) < 0)) {
        p++;
        yield snap;
      } else {
        t++;
        // A snapshot of that message already said it ended. (Skipping it is safe for the
        // reader's position: tombstones lie at or before the floor, where the log starts.)
        if (end!.event !== ChatEvent.End || !endedBySnapshot(end!.messageId!)) yield end!;
      }
    }
  }

  /** A snapshot still owed: from the log when it holds the whole message, else the store, else the StreamCache. */
  async #dueSnapshot(
    messageId: MessageId,
    ledger: MessageLedger,
    openSnapshot: (id: MessageId) => Promise<OpenMessageSnapshot | undefined>,
  ): Promise<{ data: MsgSnapshotData; at: ParsedEventId } | undefined> {
    const entry = ledger.entry(messageId);
    if (entry && !entry.trimmedThrough) {
      const data = snapshotFromEvents(entry.events);
      const last = entry.events.at(-1)!;
      if (data) return { data, at: { ms: last.ms, seq: last.seq } };
    }
    const stored = await this.#store.get(messageId);
    if (stored) return { data: storedMessageSnapshot(stored), at: parseEventId(stored.lastEventId) };
    const open = await openSnapshot(messageId);
    return open && { data: open.snapshot, at: parseEventId(open.lastEventId) };
  }

  async #snapshotOf(
    messageId: MessageId,
    entry: LedgerEntry,
    openSnapshot: (id: MessageId) => Promise<OpenMessageSnapshot | undefined>,
  ): Promise<{ data: MsgSnapshotData; at: ParsedEventId; from: 'store' | 'open' } | undefined> {
    if (entry.persisted) {
      const stored = await this.#store.get(messageId);
      if (stored)
        return { data: storedMessageSnapshot(stored), at: parseEventId(stored.lastEventId), from: 'store' };
    }
    const open = await openSnapshot(messageId);
    return open && { data: open.snapshot, at: parseEventId(open.lastEventId), from: 'open' };
  }

  async #openMessages(topic: string): Promise<Map<MessageId, OpenMessageSnapshot>> {
    const map = new Map<MessageId, OpenMessageSnapshot>();
    if (!this.#open) return map;
    for (const s of await this.#open.openMessages(topic)) map.set(s.snapshot.messageId, s);
    return map;
  }
}

/** The message's retained `msg.end`, if any. */
function endOf(entry: LedgerEntry): TopicEvent | undefined {
  for (let i = entry.events.length - 1; i >= 0; i--) {
    const ev = entry.events[i]!;
    if (ev.event === ChatEvent.End) return ev;
  }
  return undefined;
}
