import { compareEventIds, type EventId, parseEventId } from '../protocol/event-id';
import type { MessageId } from '../protocol/message-id';
import type { MessageLedger } from './message-ledger';
import type { RetainUntilPersisted } from './retention';
import { createTopicEvent, encodeTopicPayload, type TopicEvent } from './topic-event';

/** What a {@link TopicCatchup} gets to plan a resume. */
export interface CatchupContext {
  /** The topic being resumed. */
  readonly topic: string;
  /** Serve what comes after this ID. */
  readonly after: EventId;
  /** The subscriber asked for everything retained (`after: "0-0"`): no gap, no reset. */
  readonly fromStart: boolean;
  /** Replace each message's events with one `msg.snapshot` (channel topics). */
  readonly compact: boolean;
  /** The log holds every event after this ID. */
  readonly floor: EventId;
  /** A channel topic's per-message bookkeeping; undefined on other topics. */
  readonly ledger: MessageLedger | undefined;
  /**
   * The log has other writers (`TopicLog.watch`): the ledger knows only the events this
   * process appended, not the messages other instances produced on the same log.
   */
  readonly shared?: boolean;
  /** The topic's `catchupSource`, for strategies that fall back to it. */
  readonly source: TopicCatchupSource | undefined;
  /**
   * Snapshots a previous plan placed but the subscriber has not received yet, by message,
   * with the ID each was placed at. The subscriber skipped some of those messages' events
   * waiting for them, so a new plan must place a snapshot of each again (at or after that
   * ID), or reset. Empty for a fresh resume.
   */
  readonly due: ReadonlyMap<MessageId, EventId>;
  /** The topic's clock, for the `time` of synthesised events. */
  readonly now: number;
}

/**
 * How a resume is served, merged in event-ID order by the topic's catchup reader:
 * `prefix` (events from before the retained log), `overlay` (snapshots placed inside it),
 * then the retained log after `max(from, floor)`, minus any event an overlay snapshot
 * covers (a message's events up to the snapshot's ID, and its deltas up to its
 * `lastChunkId`).
 */
export interface CatchupPlan {
  /** Part of the range after `after` is gone: the subscriber gets a `reset` first. */
  reset?: boolean;
  /** Where the plan starts (exclusive), when a reset moved it past `after`. */
  from?: EventId;
  /** Events before the retained log, in ID order, all after `from`. */
  prefix?: Iterable<TopicEvent> | AsyncIterable<TopicEvent>;
  /** `msg.snapshot` events inside the retained log's range, in ID order. */
  overlay?: readonly TopicEvent[];
}

/**
 * A topic's resume strategy. The default serves the retained log and, for a gap, the
 * topic's `catchupSource`; {@link ChannelCatchup} adds snapshots from the store and the
 * StreamCache on channel topics.
 *
 * @example
 * const topic = new Topic('chan:1:general', {
 *   retainUntilPersisted: 'messages',
 *   catchup: new ChannelCatchup({ store, open }),
 * });
 */
export interface TopicCatchup {
  /**
   * The retention-pin policy the strategy relies on (the message ledger of `messages`);
   * a topic with another policy refuses it with `INVALID_OPTION`. @default any policy
   */
  readonly retainUntilPersisted?: RetainUntilPersisted;
  /**
   * Plans one resume of the topic: what the subscriber gets before the retained log, and which snapshots
   * replace events inside it.
   */
  plan(ctx: CatchupContext): Promise<CatchupPlan>;
}

/** One event a {@link TopicCatchupSource} returns; its ID is the event's real ID. */
export interface CatchupSourceEvent {
  /** The event's real ID in the topic. */
  id: EventId;
  /** The event's type. */
  event: string;
  /** The event's payload. */
  data: unknown;
}

/**
 * Fills a gap before the retained log: the events of `topic` after `after`, in any order,
 * or `undefined` when it cannot serve them (the subscriber then gets a `reset`). Real event
 * IDs, so that resumes stay exact (docs/protocol.md, "The resume rule").
 *
 * @example
 * const catchupSource: TopicCatchupSource = async (topic, after) => db.eventsAfter(topic, after);
 */
export type TopicCatchupSource = (
  topic: string,
  after: EventId,
) => Promise<readonly CatchupSourceEvent[] | undefined> | readonly CatchupSourceEvent[] | undefined;

/**
 * The default {@link TopicCatchup}: the retained log; a gap (an `after` older than the
 * log's floor) goes to the catchup source (`source`, else the topic's `catchupSource`),
 * and to a reset from the floor when there is none or it cannot serve.
 *
 * @example const catchup = logCatchup(async (topic, after) => archive.after(topic, after));
 */
export function logCatchup(source?: TopicCatchupSource): TopicCatchup {
  return {
    async plan(ctx) {
      if (ctx.fromStart || compareEventIds(ctx.after, ctx.floor) >= 0) return {};
      const fill = source ?? ctx.source;
      const found = fill ? await fill(ctx.topic, ctx.after) : undefined;
      if (!found) return { reset: true, from: ctx.floor };
      const after = parseEventId(ctx.after);
      const events = found
        .map((e) => createTopicEvent(parseEventId(e.id), encodeTopicPayload(e.event, e.data), ctx.now))
        .filter((e) => e.ms > after.ms || (e.ms === after.ms && e.seq > after.seq))
        .sort((a, b) => a.ms - b.ms || a.seq - b.seq);
      return { prefix: events };
    },
  };
}
