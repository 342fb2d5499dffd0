import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import {
  compareEventIds,
  compareParsedEventIds,
  eventIdAfter,
  eventIdBefore,
  eventIdJustBefore,
  formatEventId,
  idAfter,
  idBefore,
  isEventId,
  isEventIdAfter,
  MIN_EVENT_ID,
  nextEventId,
  type ParsedEventId,
  parseEventId,
  tryParseEventId,
} from './event-id';

const part = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const parsedId = fc.record({ ms: part, seq: part });
/** Small parts too, so equal `ms` with different `seq` shows up often. */
const nearbyId = fc.record({ ms: fc.integer({ min: 0, max: 3 }), seq: fc.integer({ min: 0, max: 3 }) });
const anyId = fc.oneof(parsedId, nearbyId);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as SpoolError).code;
  }
  return undefined;
}

describe('parseEventId / formatEventId', () => {
  it('parses the two integers of <ms>-<seq>', () => {
    expect(parseEventId('1731900000000-3')).toEqual({ ms: 1731900000000, seq: 3 });
    expect(parseEventId(MIN_EVENT_ID)).toEqual({ ms: 0, seq: 0 });
    expect(parseEventId(`${Number.MAX_SAFE_INTEGER}-${Number.MAX_SAFE_INTEGER}`)).toEqual({
      ms: Number.MAX_SAFE_INTEGER,
      seq: Number.MAX_SAFE_INTEGER,
    });
  });

  it.each([
    '',
    '1',
    '1-',
    '-1',
    '1-2-3',
    '01-0',
    '1-00',
    '+1-0',
    '1--1',
    ' 1-0',
    '1-0 ',
    '1.5-0',
    '1e3-0',
    '0x1-0',
    'a-b',
    '１-0',
    `${Number.MAX_SAFE_INTEGER + 1}-0`,
    `0-${Number.MAX_SAFE_INTEGER + 1}`,
    '99999999999999999-0',
  ])('rejects %j with INVALID_EVENT_ID', (bad) => {
    expect(tryParseEventId(bad)).toBeUndefined();
    expect(isEventId(bad)).toBe(false);
    expect(codeOf(() => parseEventId(bad))).toBe('INVALID_EVENT_ID');
  });

  it('rejects non-strings with INVALID_EVENT_ID', () => {
    for (const bad of [undefined, null, 5, {}, ['1-0']]) {
      expect(isEventId(bad)).toBe(false);
      expect(codeOf(() => parseEventId(bad as never))).toBe('INVALID_EVENT_ID');
    }
  });

  it('round-trips every valid pair, and accepts only the canonical form', () => {
    fc.assert(
      fc.property(anyId, (id) => {
        const text = formatEventId(id);
        expect(parseEventId(text)).toEqual(id);
        expect(isEventId(text)).toBe(true);
      }),
    );
  });

  it('never throws anything but INVALID_EVENT_ID on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const parsed = tryParseEventId(s);
        if (parsed) expect(formatEventId(parsed)).toBe(s);
        else expect(codeOf(() => parseEventId(s))).toBe('INVALID_EVENT_ID');
      }),
    );
  });
});

describe('compareEventIds', () => {
  it('compares numerically, not as strings', () => {
    expect(compareEventIds('10-0', '9-5')).toBeGreaterThan(0);
    expect(compareEventIds('5-10', '5-9')).toBeGreaterThan(0);
    expect(compareEventIds('5-1', '5-1')).toBe(0);
    expect(['10-0', '9-5', '9-10', '0-0'].sort(compareEventIds)).toEqual(['0-0', '9-5', '9-10', '10-0']);
  });

  it('throws INVALID_EVENT_ID for a malformed side', () => {
    expect(codeOf(() => compareEventIds('1-0', 'x'))).toBe('INVALID_EVENT_ID');
    expect(codeOf(() => compareEventIds('x', '1-0'))).toBe('INVALID_EVENT_ID');
  });

  it('agrees with the order of the integer pair (ms, seq)', () => {
    fc.assert(
      fc.property(anyId, anyId, (a, b) => {
        // An independent model: the pair as one big integer ms * 2^53 + seq.
        const key = (id: ParsedEventId) => BigInt(id.ms) * 2n ** 53n + BigInt(id.seq);
        const expected = key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0;
        expect(Math.sign(compareEventIds(formatEventId(a), formatEventId(b)))).toBe(expected);
        expect(Math.sign(compareParsedEventIds(a, b))).toBe(expected);
      }),
    );
  });

  it('is a total order: antisymmetric, transitive, and zero only for equal IDs', () => {
    fc.assert(
      fc.property(anyId, anyId, anyId, (a, b, c) => {
        const ab = Math.sign(compareParsedEventIds(a, b));
        expect(Math.sign(compareParsedEventIds(b, a))).toBe(-ab || 0);
        expect(ab === 0).toBe(formatEventId(a) === formatEventId(b));
        if (ab <= 0 && compareParsedEventIds(b, c) <= 0) {
          expect(compareParsedEventIds(a, c)).toBeLessThanOrEqual(0);
        }
      }),
    );
  });

  it('sorts any list the same way as sorting the integer pairs', () => {
    fc.assert(
      fc.property(fc.array(anyId), (ids) => {
        const byString = ids.map(formatEventId).sort(compareEventIds);
        const byPair = [...ids]
          .sort((x, y) => (x.ms === y.ms ? x.seq - y.seq : x.ms < y.ms ? -1 : 1))
          .map(formatEventId);
        expect(byString).toEqual(byPair);
      }),
    );
  });
});

describe('nextEventId', () => {
  it('starts a new millisecond at seq 0 when the clock moves on', () => {
    expect(nextEventId({ ms: 100, seq: 4 }, 101)).toEqual({ ms: 101, seq: 0 });
    expect(nextEventId(undefined, 1731900000000.7)).toEqual({ ms: 1731900000000, seq: 0 });
  });

  it('keeps the last ms and increments seq when the clock stands still or goes back', () => {
    expect(nextEventId({ ms: 100, seq: 4 }, 100)).toEqual({ ms: 100, seq: 5 });
    expect(nextEventId({ ms: 100, seq: 4 }, 90)).toEqual({ ms: 100, seq: 5 });
  });

  it('never produces 0-0, like XADD on an empty stream at time 0', () => {
    expect(nextEventId(undefined, 0)).toEqual({ ms: 0, seq: 1 });
    expect(nextEventId(undefined, -5)).toEqual({ ms: 0, seq: 1 });
    expect(nextEventId(undefined, Number.NaN)).toEqual({ ms: 0, seq: 1 });
  });

  it('carries an exhausted seq into ms, and throws INVALID_EVENT_ID past the largest ID', () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect(nextEventId({ ms: 5, seq: max }, 5)).toEqual({ ms: 6, seq: 0 });
    expect(nextEventId(undefined, Number.POSITIVE_INFINITY)).toEqual({ ms: max, seq: 0 });
    expect(codeOf(() => nextEventId({ ms: max, seq: max }, 1))).toBe('INVALID_EVENT_ID');
  });

  it('strictly increases and yields valid IDs under any clock sequence', () => {
    const reading = fc.oneof(
      fc.integer({ min: -10, max: 2_000_000_000_000 }),
      fc.double(),
      fc.constantFrom(0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    );
    const start = fc.option(
      fc.record({
        ms: fc.integer({ min: 0, max: 2_000_000_000_000 }),
        seq: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER - 2)),
      }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(start, fc.array(reading, { maxLength: 200 }), (first, clock) => {
        let last: ParsedEventId | undefined = first;
        for (const now of clock) {
          const next = nextEventId(last, now);
          expect(isEventId(formatEventId(next))).toBe(true);
          if (last) expect(compareParsedEventIds(next, last)).toBeGreaterThan(0);
          else expect(compareEventIds(formatEventId(next), MIN_EVENT_ID)).toBeGreaterThan(0);
          last = next;
        }
      }),
    );
  });

  it('follows the clock exactly while it moves forward', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1 }), (steps) => {
        let now = 1_700_000_000_000;
        let last: ParsedEventId | undefined;
        for (const step of steps) {
          now += step;
          last = nextEventId(last, now);
          expect(last).toEqual({ ms: now, seq: 0 });
        }
      }),
    );
  });
});

describe('idAfter / idBefore: the neighbours of an ID', () => {
  it('step by one seq, carrying across a millisecond, and stop at the ends', () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect(eventIdAfter('7-1')).toBe('7-2');
    expect(eventIdAfter(`7-${max}`)).toBe('8-0');
    expect(eventIdBefore('7-2')).toBe('7-1');
    expect(eventIdBefore('8-0')).toBe(`7-${max}`);
    expect(eventIdBefore('0-0')).toBe('0-0');
    expect(codeOf(() => eventIdAfter(`${max}-${max}`))).toBe('INVALID_EVENT_ID');
    expect(codeOf(() => eventIdBefore('nope'))).toBe('INVALID_EVENT_ID');
  });

  it('are inverses, and nothing lies strictly between an ID and its neighbours', () => {
    fc.assert(
      fc.property(anyId, (id) => {
        fc.pre(id.ms < Number.MAX_SAFE_INTEGER);
        const after = idAfter(id);
        expect(compareParsedEventIds(after, id)).toBeGreaterThan(0);
        expect(idBefore(after)).toEqual(id);
        if (id.ms > 0 || id.seq > 0) {
          const before = idBefore(id);
          expect(compareParsedEventIds(before, id)).toBeLessThan(0);
          expect(idAfter(before)).toEqual(id);
        }
      }),
    );
  });
});

describe('isEventIdAfter and eventIdJustBefore (IDs already checked)', () => {
  const id = fc
    .tuple(fc.nat(Number.MAX_SAFE_INTEGER), fc.nat(Number.MAX_SAFE_INTEGER))
    .map(([ms, seq]) => `${ms}-${seq}`);

  it('agree with the validating compareEventIds and eventIdBefore on every valid ID', () => {
    fc.assert(
      fc.property(id, id, (a, b) => {
        expect(isEventIdAfter(a, b)).toBe(compareEventIds(a, b) > 0);
        expect(eventIdJustBefore(a)).toBe(eventIdBefore(a));
      }),
    );
  });

  it('put an absent position before everything', () => {
    expect(isEventIdAfter('0-0', undefined)).toBe(true);
  });
});
