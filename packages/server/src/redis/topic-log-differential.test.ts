import {
  type EventId,
  isSpoolError,
  MemoryTopicLog,
  parseEventId,
  type TopicEvent,
  type TopicLog,
  type TrimRules,
} from '@spool/core';
import { encodeTopicPayload, resolveTopicRetention } from '@spool/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deleteKeys, nextPrefix, redisTestClients } from '../broker/redis-test-env';
import { RedisTopicLog } from './redis-topic-log';

/**
 * Differential test: random sequences of appends (alone and in bursts of one event-loop
 * turn, some with an explicit ID), pins released, retention changes, trims and
 * reads run against MemoryTopicLog and RedisTopicLog on real Redis, and must leave both
 * logs alike after every step. IDs come from two clocks, so each side's IDs are compared
 * by their place in that side's history (`-1` for the creation floor). fast-check prints
 * the seed and the shrunk sequence of a failure; `SPOOL_TEST_SEED` replays it.
 */

const { redis, admin } = redisTestClients();

const MESSAGES = ['1', '2', '3', '4', '5', '6'];

type Op =
  | { op: 'append'; n: number; message: string | null; explicit: 'none' | 'next' | 'last' }
  | { op: 'burst'; items: Array<{ n: number; message: string | null }> }
  | { op: 'release'; message: string }
  | { op: 'retention'; maxEvents: number; extra: number; maxBytes: number }
  | { op: 'trim' }
  | { op: 'read'; after: number; limit: number };

const message = fc.option(fc.constantFrom(...MESSAGES), { nil: null, freq: 2 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('append' as const),
      n: fc.nat(1000),
      message,
      explicit: fc.constantFrom(
        'none' as const,
        'none' as const,
        'none' as const,
        'next' as const,
        'last' as const,
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('burst' as const),
      items: fc.array(fc.record({ n: fc.nat(1000), message }), { minLength: 2, maxLength: 6 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('release' as const),
      message: fc.constantFrom(...MESSAGES),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('retention' as const),
      maxEvents: fc.integer({ min: 1, max: 8 }),
      extra: fc.integer({ min: 0, max: 4 }),
      maxBytes: fc.constantFrom(40, 120, 1_000_000),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'trim' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('read' as const),
      after: fc.integer({ min: -1, max: 40 }),
      limit: fc.integer({ min: 0, max: 6 }),
    }),
  },
);

/** One side of the comparison: a log, its history, and what its hooks saw. */
class Side {
  readonly ids: EventId[] = [];
  readonly index = new Map<EventId, number>();
  readonly appended: number[] = [];
  readonly dropped: number[] = [];
  rules: TrimRules;

  constructor(
    readonly log: TopicLog,
    readonly open: Set<string>,
  ) {
    this.rules = this.#rules(4, 2, 1_000_000);
  }

  setRetention(maxEvents: number, extra: number, maxBytes: number): void {
    this.rules = this.#rules(maxEvents, extra, maxBytes);
  }

  #rules(maxEvents: number, extra: number, maxBytes: number): TrimRules {
    return {
      ...resolveTopicRetention({
        maxEvents,
        hardMaxEvents: maxEvents + extra,
        maxBytes,
        hardMaxBytes: 2 * maxBytes,
        maxAgeMs: Number.POSITIVE_INFINITY,
      }),
      isPinned: (ev) => ev.messageId !== undefined && this.open.has(ev.messageId),
      onAppend: (ev) => this.appended.push(this.#place(ev.id)),
      onDrop: (ev) => this.dropped.push(this.#place(ev.id)),
    };
  }

  record(ev: TopicEvent): void {
    if (this.index.has(ev.id)) return;
    this.index.set(ev.id, this.ids.length);
    this.ids.push(ev.id);
  }

  /** An ID's place in this side's history: -1 for the creation floor. */
  place(id: EventId | undefined): number | undefined {
    if (id === undefined) return undefined;
    if (id === this.log.creationFloor) return -1;
    const at = this.index.get(id);
    if (at === undefined) throw new Error(`ID ${id} is not in this log's history`);
    return at;
  }

  #place(id: EventId): number {
    // onAppend runs before the append's promise resolves: learn the ID here.
    if (!this.index.has(id)) {
      this.index.set(id, this.ids.length);
      this.ids.push(id);
    }
    return this.index.get(id)!;
  }

  explicitId(kind: 'next' | 'last'): { ms: number; seq: number } {
    const last = parseEventId(this.ids.at(-1) ?? this.log.creationFloor);
    if (kind === 'last') return last;
    return last.seq === Number.MAX_SAFE_INTEGER
      ? { ms: last.ms + 1, seq: 0 }
      : { ms: last.ms, seq: last.seq + 1 };
  }

  state() {
    return {
      length: this.log.length,
      bytes: this.log.bytes,
      first: this.place(this.log.firstId),
      last: this.place(this.log.lastId),
      floor: this.place(this.log.floor),
      appended: [...this.appended],
      dropped: [...this.dropped],
    };
  }
}

const payloadOf = (n: number, messageId: string | null) =>
  messageId === null
    ? encodeTopicPayload('message', { n })
    : encodeTopicPayload('msg.delta', { messageId, chunkId: n, text: `t${n}` });

async function settle(p: Promise<TopicEvent>): Promise<TopicEvent | string> {
  return p.catch((err: unknown) => (isSpoolError(err) ? err.code : String(err)));
}

describe('RedisTopicLog against MemoryTopicLog (differential, real Redis)', () => {
  it('agrees on random sequences of appends, bursts, pins, retention, trims and reads', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const prefix = nextPrefix();
        try {
          // Every message starts open (pinned) and may be released, never pinned again: the
          // TrimRules contract (a pin is known when its event is appended).
          const open = new Set<string>(MESSAGES);
          // The floors of both logs are where their histories start (-1), whatever the clock.
          const mem = new Side(new MemoryTopicLog(), open);
          const red = new Side(await RedisTopicLog.open(redis, 'chan:1:diff', { keyPrefix: prefix }), open);
          for (const op of ops) {
            switch (op.op) {
              case 'append': {
                const outcomes: Array<number | string> = [];
                for (const side of [mem, red]) {
                  const payload = payloadOf(op.n, op.message);
                  const input =
                    op.explicit === 'none' ? payload : { ...payload, id: side.explicitId(op.explicit) };
                  const out = await settle(side.log.append(input, side.rules));
                  if (typeof out !== 'string') side.record(out);
                  outcomes.push(typeof out === 'string' ? out : side.place(out.id)!);
                }
                expect(outcomes[1]).toEqual(outcomes[0]);
                break;
              }
              case 'burst': {
                const outcomes: Array<Array<number | string>> = [];
                for (const side of [mem, red]) {
                  // All in one turn: one script call on Redis.
                  const all = await Promise.all(
                    op.items.map((item) =>
                      settle(side.log.append(payloadOf(item.n, item.message), side.rules)),
                    ),
                  );
                  outcomes.push(
                    all.map((out) => {
                      if (typeof out === 'string') return out;
                      side.record(out);
                      return side.place(out.id)!;
                    }),
                  );
                }
                expect(outcomes[1]).toEqual(outcomes[0]);
                break;
              }
              case 'release':
                open.delete(op.message);
                break;
              case 'retention':
                mem.setRetention(op.maxEvents, op.extra, op.maxBytes);
                red.setRetention(op.maxEvents, op.extra, op.maxBytes);
                break;
              case 'trim': {
                const counts = [await mem.log.trim(mem.rules), await red.log.trim(red.rules)];
                expect(counts[1]).toBe(counts[0]);
                break;
              }
              case 'read': {
                const pages = [];
                for (const side of [mem, red]) {
                  const after =
                    op.after < 0 || op.after >= side.ids.length
                      ? side.log.creationFloor
                      : side.ids[op.after]!;
                  const page = await side.log.read(after, op.limit);
                  pages.push({
                    events: page.events.map((ev) => [
                      side.place(ev.id),
                      ev.event,
                      ev.json,
                      ev.size,
                      ev.messageId,
                    ]),
                    floor: side.place(page.floor),
                    holdsAfter: page.holdsAfter,
                  });
                }
                expect(pages[1]).toEqual(pages[0]);
                break;
              }
            }
            expect(red.state()).toEqual(mem.state());
          }
          await red.log.close?.();
        } finally {
          await deleteKeys(admin, prefix);
        }
      }),
      { numRuns: 100 },
    );
  });
});
