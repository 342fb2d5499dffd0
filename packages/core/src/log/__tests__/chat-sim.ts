/**
 * A small chat system for the channel catchup tests: a channel topic with a
 * ChannelCatchup over a MemoryMessageStore and an OpenMessageSource kept like the server
 * keeps its StreamCache, plus the oracle a resuming client is checked against.
 */
import { expect } from 'vitest';
import { compareEventIds, type EventId } from '../../protocol/event-id';
import type {
  MsgDeltaData,
  MsgEndData,
  MsgOpenData,
  MsgSnapshotData,
  WireStreamMeta,
} from '../../protocol/messages';
import { MemoryMessageStore } from '../../store/memory-message-store';
import { createManualClock, type ManualClock } from '../../time/clock';
import { ChannelCatchup, type OpenMessageSnapshot } from '../channel-catchup';
import { MemoryTopicLog } from '../memory-topic-log';
import type { TopicRetention } from '../retention';
import { Topic } from '../topic';
import type { TopicEvent } from '../topic-event';

export const CHANNEL = 'chan:1:general';

interface SimMessage {
  messageId: string;
  meta: WireStreamMeta;
  chunks: string[];
  nextChunk: number;
  firstEventId: EventId;
  lastEventId: EventId;
  ended: boolean;
}

export interface ChatSimOptions {
  retention?: Partial<TopicRetention>;
  /** Leave messages out of the open source (a StreamCache that lost them). */
  hideOpen?: (messageId: string) => boolean;
  /** Do not save these messages in the store (persist "succeeds" without a row). */
  skipStore?: (messageId: string) => boolean;
  /** The topic's catchup page size. */
  catchupPageSize?: number;
}

export class ChatSim {
  readonly clock: ManualClock = createManualClock(1_000);
  readonly store = new MemoryMessageStore({ clock: this.clock });
  readonly messages = new Map<string, SimMessage>();
  readonly history: TopicEvent[] = [];
  readonly log = new MemoryTopicLog({ clock: this.clock });
  /** The log's creation floor: the position of a client that has seen nothing of this topic. */
  readonly start = this.log.creationFloor;
  readonly topic: Topic;
  openCalls = 0;

  constructor(options: ChatSimOptions = {}) {
    const open = {
      openMessages: async (topic: string): Promise<OpenMessageSnapshot[]> => {
        expect(topic).toBe(CHANNEL);
        this.openCalls++;
        return [...this.messages.values()]
          .filter((m) => !m.ended && !options.hideOpen?.(m.messageId))
          .map((m) => ({
            snapshot: {
              messageId: m.messageId,
              meta: m.meta,
              text: m.chunks.join(''),
              lastChunkId: m.chunks.length - 1,
              status: 'streaming',
            },
            firstEventId: m.firstEventId,
            lastEventId: m.lastEventId,
          }));
      },
    };
    this.topic = new Topic(CHANNEL, {
      log: this.log,
      clock: this.clock,
      retention: options.retention ?? {},
      catchupPageSize: options.catchupPageSize ?? 256,
      retainUntilPersisted: 'messages',
      catchup: new ChannelCatchup({ store: this.store, open, storePageSize: 2 }),
    });
    this.skipStore = options.skipStore;
  }

  private readonly skipStore: ((messageId: string) => boolean) | undefined;

  async #append(event: string, data: unknown): Promise<TopicEvent> {
    if (this.history.length % 3 === 0) this.clock.advance(1);
    const ev = await this.topic.append(event, data);
    this.history.push(ev);
    return ev;
  }

  async open(messageId: string): Promise<TopicEvent> {
    const meta: WireStreamMeta = {
      messageId,
      channelId: 'general',
      channelType: 1,
      fromUid: `u${messageId}`,
    };
    const ev = await this.#append('msg.open', { messageId, meta } satisfies MsgOpenData);
    this.messages.set(messageId, {
      messageId,
      meta,
      chunks: [],
      nextChunk: 0,
      firstEventId: ev.id,
      lastEventId: ev.id,
      ended: false,
    });
    return ev;
  }

  /** Appends the next chunk; several may be in flight at once, like a server's. */
  async delta(messageId: string): Promise<TopicEvent> {
    const m = this.messages.get(messageId)!;
    const chunkId = m.nextChunk++;
    const text = `${messageId}.${chunkId} `;
    const ev = await this.#append('msg.delta', { messageId, chunkId, text } satisfies MsgDeltaData);
    // appends resolve in ID order, so the open snapshot stays exactly what the log holds
    m.chunks[chunkId] = text;
    m.lastEventId = ev.id;
    return ev;
  }

  /** Ends a message the server's way: persist (then the log may trim it), then `msg.end`. */
  async end(messageId: string): Promise<TopicEvent> {
    const m = this.messages.get(messageId)!;
    await this.topic.persistAndClear(
      async () => {
        if (this.skipStore?.(messageId)) return;
        await this.store.save({
          messageId,
          channelId: 'general',
          channelType: 1,
          meta: m.meta,
          text: m.chunks.join(''),
          lastChunkId: m.chunks.length - 1,
          reason: 'success',
          firstEventId: m.firstEventId,
          lastEventId: m.lastEventId,
        });
      },
      { messageId },
    );
    m.ended = true;
    return this.#append('msg.end', { messageId, reason: 'success', persisted: true } satisfies MsgEndData);
  }

  /** A plain publish on the channel: nothing can rebuild it once trimmed. */
  async plain(): Promise<TopicEvent> {
    return this.#append('message', { note: this.history.length });
  }

  /** What a client that received every event up to `x` holds. */
  clientAt(x: EventId): ChatClient {
    const client = new ChatClient(x);
    for (const ev of this.history) if (compareEventIds(ev.id, x) <= 0) client.apply(ev, false);
    return client;
  }
}

interface ClientMessage {
  text: string;
  lastChunkId: number;
  ended: boolean;
  snapshots: number;
  deltasAfterStart: number;
}

/** A strict chat client: it fails the test on any gap, duplicate or out-of-order ID. */
export class ChatClient {
  readonly messages = new Map<string, ClientMessage>();
  lastId: EventId;
  readonly received: TopicEvent[] = [];
  resets: EventId[] = [];

  constructor(start: EventId) {
    this.lastId = start;
  }

  reset(earliest: EventId): void {
    this.resets.push(earliest);
  }

  apply(ev: TopicEvent, resumed = true): void {
    if (resumed) {
      expect(compareEventIds(ev.id, this.lastId), `${ev.id} after ${this.lastId}`).toBeGreaterThan(0);
      this.received.push(ev);
    }
    this.lastId = ev.id;
    const id = ev.messageId;
    if (ev.event === 'msg.open') {
      const data = ev.data as MsgOpenData;
      expect(this.messages.has(data.messageId), `msg.open ${data.messageId} twice`).toBe(false);
      this.messages.set(data.messageId, {
        text: '',
        lastChunkId: -1,
        ended: false,
        snapshots: 0,
        deltasAfterStart: 0,
      });
    } else if (ev.event === 'msg.delta') {
      const data = ev.data as MsgDeltaData;
      const m = this.messages.get(id!);
      // a delta for a message the client never opened is a gap the snapshot should have filled
      expect(m, `delta of unknown message ${id} at ${ev.id}`).toBeDefined();
      expect(data.chunkId, `chunk of ${id} at ${ev.id}`).toBe(m!.lastChunkId + 1);
      m!.text += data.text;
      m!.lastChunkId = data.chunkId;
      if (resumed) m!.deltasAfterStart++;
    } else if (ev.event === 'msg.snapshot') {
      const data = ev.data as MsgSnapshotData;
      const m = this.messages.get(data.messageId) ?? {
        text: '',
        lastChunkId: -1,
        ended: false,
        snapshots: 0,
        deltasAfterStart: 0,
      };
      m.text = data.text;
      m.lastChunkId = data.lastChunkId;
      m.ended = data.status === 'ended';
      m.snapshots++;
      this.messages.set(data.messageId, m);
    } else if (ev.event === 'msg.end') {
      const m = this.messages.get(id!);
      expect(m, `end of unknown message ${id}`).toBeDefined();
      m!.ended = true;
    }
  }

  /** Every message the client knows of equals the truth; every message with events after the start is known. */
  expectMatches(sim: ChatSim, start: EventId): void {
    for (const truth of sim.messages.values()) {
      const touched = compareEventIds(truth.lastEventId, start) > 0 || this.messages.has(truth.messageId);
      if (!touched) continue;
      const m = this.messages.get(truth.messageId);
      expect(m, `message ${truth.messageId} missing after resume from ${start}`).toBeDefined();
      expect(m!.text, `text of ${truth.messageId} after resume from ${start}`).toBe(truth.chunks.join(''));
      const endEvent = sim.history.find((e) => e.event === 'msg.end' && e.messageId === truth.messageId);
      if (endEvent) expect(m!.ended, `${truth.messageId} ended, resume from ${start}`).toBe(true);
    }
  }
}
