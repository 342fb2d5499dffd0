import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JoinedFrames } from './joined-frames';

const total = (frames: Buffer[]) => frames.reduce((n, f) => n + f.length, 0);

describe('JoinedFrames', () => {
  it('answers the same buffer for the same frames in the same order, and a new one otherwise', () => {
    const joined = new JoinedFrames();
    const a = Buffer.from('aa');
    const b = Buffer.from('bbb');
    const first = joined.join([a, b], 5);
    expect(first.toString()).toBe('aabbb');
    expect(joined.join([a, b], 5)).toBe(first);
    const reordered = joined.join([b, a], 5);
    expect(reordered).not.toBe(first);
    expect(reordered.toString()).toBe('bbbaa');
    // Equal bytes in other buffers: joined again, never mistaken for the last list.
    const copies = joined.join([Buffer.from('bbb'), Buffer.from('aa')], 5);
    expect(copies).not.toBe(reordered);
    expect(copies.toString()).toBe('bbbaa');
  });

  it('keeps nothing after clear', () => {
    const joined = new JoinedFrames();
    const frames = [Buffer.from('x'), Buffer.from('y')];
    const first = joined.join(frames, 2);
    joined.clear();
    const again = joined.join(frames, 2);
    expect(again).not.toBe(first);
    expect(again.toString()).toBe('xy');
  });

  it('always answers the bytes of the frames given (fast-check: lists drawn from a small pool)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.boolean(), { maxLength: 30 }),
        (pool, picks, clears) => {
          const buffers = pool.map((bytes) => Buffer.from(bytes));
          const joined = new JoinedFrames();
          picks.forEach((pick, i) => {
            if (clears[i]) joined.clear();
            const frames = pick.map((n) => buffers[n % buffers.length]!);
            expect(joined.join(frames, total(frames)).equals(Buffer.concat(frames))).toBe(true);
          });
        },
      ),
    );
  });
});
