import { describe, expect, it } from 'vitest';
import { CatchupGate } from './catchup-gate';

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('CatchupGate', () => {
  it('runs one kind concurrently and keeps the other kind out', async () => {
    const gate = new CatchupGate();
    const r1 = await gate.acquire('catchup');
    const r2 = await gate.acquire('catchup');
    expect(gate.holders).toBe(2);
    let persisting = false;
    const p = gate.acquire('persist').then((release) => {
      persisting = true;
      return release;
    });
    await flush();
    expect(persisting).toBe(false);
    r1();
    await flush();
    expect(persisting).toBe(false);
    r2();
    const release = await p;
    expect(persisting).toBe(true);
    expect(gate.holders).toBe(1);
    release();
    expect(gate.holders).toBe(0);
  });

  it('takes turns in arrival order, so a stream of catchups cannot starve a persist', async () => {
    const gate = new CatchupGate();
    const order: string[] = [];
    const first = await gate.acquire('catchup');
    const persist = gate.acquire('persist').then((r) => {
      order.push('persist');
      return r;
    });
    // arrives after the persist: waits for it
    const late = gate.acquire('catchup').then((r) => {
      order.push('late catchup');
      return r;
    });
    await flush();
    expect(order).toEqual([]);
    first();
    const releasePersist = await persist;
    await flush();
    expect(order).toEqual(['persist']);
    releasePersist();
    (await late)();
    expect(order).toEqual(['persist', 'late catchup']);
  });

  it('admits a whole run of waiters of the same kind together', async () => {
    const gate = new CatchupGate();
    const persist = await gate.acquire('persist');
    const a = gate.acquire('catchup');
    const b = gate.acquire('catchup');
    persist();
    const [ra, rb] = await Promise.all([a, b]);
    expect(gate.holders).toBe(2);
    ra();
    ra(); // releasing twice is harmless
    expect(gate.holders).toBe(1);
    rb();
    expect(gate.holders).toBe(0);
  });
});
