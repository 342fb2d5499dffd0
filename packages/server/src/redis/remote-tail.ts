import {
  compareParsedEventIds,
  type EventId,
  type ParsedEventId,
  parseEventId,
  type TopicEvent,
  type TopicLogPage,
  type TopicLogWatcher,
} from '@spool/core';

/** A notification as the append script publishes it (topic-log-script.ts). */
export interface AppendNotification {
  /** The writer's origin token. */
  o: string;
  /** The stream's last ID before this batch. */
  p: string;
  /** The batch's new IDs, in order. */
  i: string[];
  /** `[event, JSON, messageId or '']` per ID, when the batch was small enough to carry. */
  e?: Array<[string, string, string]>;
}

/** What a {@link RemoteTail} needs from its log. */
export interface RemoteTailHost {
  /** Reads through the log's script (so a new life of the stream is noticed there). */
  read(after: EventId, limit: number): Promise<TopicLogPage>;
  /** Where a new watch starts: the log's last ID, else its floor. */
  start(): EventId;
  /** A carried notification entry as an event. */
  toEvent(id: string, event: string, json: string, messageId: string): TopicEvent;
  /** Where an error of a background read goes. */
  onError(err: unknown): void;
}

/** Events per XRANGE page of a gap fill. */
const FILL_PAGE = 512;

/**
 * The order keeper of one shared topic log while it is watched: it hands the watchers
 * every event after a position, the log's own appends and other instances' alike, in ID
 * order, each once (docs/architecture.md, "Topics across instances").
 *
 * Everything goes through one serial queue, holding `delivered`, the last ID handed out:
 * - an own append (the script's reply carries the previous ID of its batch) is handed out
 *   at once when that previous ID is `delivered`; otherwise the gap before it is read
 *   first, and the append's promise resolves only after;
 * - a notification from another instance whose previous ID is `delivered` (or below) is
 *   handed out from what it carries; one that skips ahead (a lost or reordered
 *   notification) is filled from the log, up to its end;
 * - a re-check (after a reconnect of the subscriber connection, or a second without
 *   notifications) reads the log after `delivered`: it catches a lost last notification.
 * A read that finds the log's floor above `delivered` (the events were trimmed before they
 * could be read) tells the watchers `gap()`, and goes on from there.
 */
export class RemoteTail {
  readonly #host: RemoteTailHost;
  #watchers: TopicLogWatcher[] = [];
  /** Last ID handed out; set while watched. */
  #delivered: ParsedEventId | undefined;
  #queue: Promise<void> = Promise.resolve();
  /** When this tail last heard of an append (ms, performance clock): re-checks skip busy topics. */
  heardAt = 0;

  constructor(host: RemoteTailHost) {
    this.#host = host;
  }

  get watched(): boolean {
    return this.#watchers.length > 0;
  }

  /** Adds a watcher; the first one fixes the start position. Returns true for the first. */
  add(watcher: TopicLogWatcher): boolean {
    this.#watchers = [...this.#watchers, watcher];
    if (this.#watchers.length > 1) return false;
    this.#delivered = parseEventId(this.#host.start());
    this.heardAt = performance.now();
    return true;
  }

  /** Removes a watcher; returns true when none is left. */
  remove(watcher: TopicLogWatcher): boolean {
    const before = this.#watchers.length;
    this.#watchers = this.#watchers.filter((w) => w !== watcher);
    if (this.#watchers.length === 0 && before > 0) {
      this.#delivered = undefined;
      return true;
    }
    return false;
  }

  /**
   * This log appended `events` right after `prev`: resolves once they are handed out
   * (after any gap before them), so the appends' promises resolve in order behind them.
   */
  own(prev: EventId, events: readonly TopicEvent[]): Promise<void> {
    this.heardAt = performance.now();
    return this.#run(async () => {
      if (this.#delivered === undefined || events.length === 0) return;
      if (compareParsedEventIds(parseEventId(prev), this.#delivered) > 0) {
        try {
          await this.#fill();
        } catch (err) {
          // The appends happened: they are handed out, and the subscribers go back to the
          // log for what could not be read (never skipped silently).
          this.#host.onError(err);
          this.#gap();
        }
      }
      this.#hand(events);
    });
  }

  /** Another writer's notification. */
  notified(note: AppendNotification): void {
    this.heardAt = performance.now();
    void this.#run(async () => {
      const delivered = this.#delivered;
      const lastId = note.i.at(-1);
      if (delivered === undefined || lastId === undefined) return;
      if (compareParsedEventIds(parseEventId(lastId), delivered) <= 0) return;
      const carried = note.e;
      if (
        carried &&
        carried.length === note.i.length &&
        compareParsedEventIds(parseEventId(note.p), delivered) <= 0
      ) {
        this.#hand(note.i.map((id, k) => this.#host.toEvent(id, ...carried[k]!)));
        return;
      }
      await this.#fill();
    });
  }

  /** Reads the log after the last ID handed out: after a reconnect, or when notifications are silent. */
  recheck(): Promise<void> {
    this.heardAt = performance.now();
    return this.#run(() => (this.#delivered === undefined ? undefined : this.#fill()));
  }

  /** The stream started a new life at `creationFloor` (Redis lost it): its events follow that. */
  restart(creationFloor: EventId): void {
    if (this.#delivered !== undefined) this.#delivered = parseEventId(creationFloor);
  }

  /**
   * A watch began at what the log knew (a guess before its first reply, stale after a while
   * unwatched): it starts at the stream's last ID (or its floor) as of a reply instead. Live
   * starts waited for that reply (`ready`), so no subscriber stands at the old position.
   */
  loaded(top: EventId): void {
    if (this.#delivered !== undefined) this.#delivered = parseEventId(top);
  }

  #run(job: () => Promise<void> | undefined): Promise<void> {
    const next = this.#queue.then(job).catch((err: unknown) => this.#host.onError(err));
    this.#queue = next;
    return next;
  }

  /** Reads and hands out everything after `delivered`, page by page, to the log's end. */
  async #fill(): Promise<void> {
    for (;;) {
      const after = this.#delivered;
      if (after === undefined) return;
      const page = await this.#host.read(`${after.ms}-${after.seq}`, FILL_PAGE);
      const now = this.#delivered;
      if (now === undefined) return;
      // Below the floor and not an event the log holds: what came between was trimmed.
      if (!page.holdsAfter && compareParsedEventIds(now, parseEventId(page.floor)) < 0) {
        this.#gap();
        this.#delivered = parseEventId(page.floor);
      }
      this.#hand(page.events);
      if (page.events.length < FILL_PAGE) return;
    }
  }

  #hand(events: readonly TopicEvent[]): void {
    const delivered = this.#delivered;
    if (delivered === undefined) return;
    let from = 0;
    while (from < events.length && compareParsedEventIds(events[from]!, delivered) <= 0) from++;
    if (from === events.length) return;
    const fresh = from === 0 ? events : events.slice(from);
    this.#delivered = fresh.at(-1)!;
    for (const watcher of this.#watchers) watcher.events(fresh);
  }

  #gap(): void {
    for (const watcher of this.#watchers) watcher.gap();
  }
}
