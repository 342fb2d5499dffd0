import { describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../time/clock';
import { type ConsumedEntry, consume } from './consume';
import { MemoryBroker } from './memory-broker';

function setup() {
  const clock = createManualClock(1_700_000_000_000);
  const broker = new MemoryBroker({ clock });
  return { clock, broker };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const until = (check: () => void) => vi.waitFor(check, { timeout: 5_000, interval: 1 });

describe('consume', () => {
  it('handles entries, acks them, and stops gracefully with its stats', async () => {
    const { clock, broker } = setup();
    const seen: string[] = [];
    const ctl = new AbortController();
    const worker = consume(broker, 'jobs', 'g', 'w1', (e) => void seen.push(e.fields['n']!), {
      clock,
      signal: ctl.signal,
    });
    for (let i = 1; i <= 5; i++) await broker.xadd('jobs', { n: String(i) });
    await until(() => expect(worker.stats().processed).toBe(5));
    expect(seen).toEqual(['1', '2', '3', '4', '5']);
    expect(await broker.xpending('jobs', 'g')).toMatchObject({ count: 0 });
    ctl.abort();
    expect(await worker.done).toEqual({ processed: 5, failed: 0, deadLettered: 0, claimed: 0 });
    expect(broker.blockedReaders).toBe(0);
    await broker.xadd('jobs', { n: 'late' });
    expect(await broker.xinfoGroups('jobs')).toMatchObject([{ lag: 1 }]);
  });

  it('runs up to `concurrency` handlers at once, and lets in-flight ones finish on stop', async () => {
    const { clock, broker } = setup();
    const gates: Array<ReturnType<typeof deferred>> = [];
    const worker = consume(
      broker,
      'jobs',
      'g',
      'w1',
      () => {
        const gate = deferred();
        gates.push(gate);
        return gate.promise;
      },
      { clock, concurrency: 3 },
    );
    for (let i = 1; i <= 5; i++) await broker.xadd('jobs', { n: String(i) });
    await until(() => expect(gates).toHaveLength(3));
    const stopped = worker.stop();
    for (const g of gates) g.resolve();
    expect(await stopped).toMatchObject({ processed: 3 });
    expect(gates).toHaveLength(3);
    const pending = await broker.xpending('jobs', 'g');
    expect(pending.count).toBe(0);
    expect(await broker.xinfoGroups('jobs')).toMatchObject([{ lag: 2 }]);
  });

  it('a consumer killed mid-batch loses nothing: another claims its entries after claimIdleMs', async () => {
    const { clock, broker } = setup();
    await broker.xgroupCreate('jobs', 'g', '0', { mkStream: true });
    for (let i = 1; i <= 6; i++) await broker.xadd('jobs', { n: String(i) });
    // The doomed consumer takes a batch of 5, finishes 2, and dies.
    const batch = await broker.xreadgroup('g', 'doomed', [['jobs', '>']], { count: 5 });
    await broker.xack(
      'jobs',
      'g',
      batch![0]!.entries.slice(0, 2).map((e) => e.id),
    );
    const handled: string[] = [];
    const worker = consume(broker, 'jobs', 'g', 'rescuer', (e) => void handled.push(e.id), {
      clock,
      claimIdleMs: 10_000,
    });
    await until(() => expect(handled).toHaveLength(1));
    const [sixth] = await broker.xrevrange('jobs', '+', '-', 1);
    expect(handled).toEqual([sixth!.id]);
    await clock.advanceAsync(10_000);
    await until(() => expect(handled).toHaveLength(4));
    expect(handled.slice(1).sort()).toEqual(batch![0]!.entries.slice(2).map((e) => e.id));
    expect(await broker.xpending('jobs', 'g')).toMatchObject({ count: 0 });
    expect(await worker.stop()).toEqual({ processed: 4, failed: 0, deadLettered: 0, claimed: 3 });
  });

  it('a worker whose handlers hang (a frozen process) has its entries taken over', async () => {
    const { clock, broker } = setup();
    const frozen = deferred();
    const stuck = consume(broker, 'jobs', 'g', 'stuck', () => frozen.promise, { clock, concurrency: 2 });
    await broker.xadd('jobs', { n: '1' });
    await broker.xadd('jobs', { n: '2' });
    await until(async () => expect((await broker.xpending('jobs', 'g')).count).toBe(2));
    const handled: ConsumedEntry[] = [];
    const rescuer = consume(broker, 'jobs', 'g', 'rescuer', (e) => void handled.push(e), {
      clock,
      claimIdleMs: 5_000,
    });
    await clock.advanceAsync(5_000);
    await until(() => expect(handled.map((e) => e.fields['n']).sort()).toEqual(['1', '2']));
    expect(await broker.xpending('jobs', 'g')).toMatchObject({ count: 0 });
    frozen.resolve();
    await stuck.stop();
    await rescuer.stop();
  });

  it('moves a poison entry to the dead-letter stream after maxDeliveries failed deliveries', async () => {
    const { clock, broker } = setup();
    const attempts: string[] = [];
    const worker = consume(
      broker,
      'jobs',
      'g',
      'w1',
      (e) => {
        attempts.push(e.id);
        if (e.fields['poison']) throw new Error('cannot parse payload');
      },
      { clock, claimIdleMs: 1_000, maxDeliveries: 3 },
    );
    const poison = (await broker.xadd('jobs', { poison: '1', body: '{' }))!;
    await broker.xadd('jobs', { ok: '1' });
    await until(() => expect(worker.stats()).toMatchObject({ processed: 1, failed: 1 }));
    for (let round = 0; round < 4 && worker.stats().deadLettered === 0; round++) {
      await clock.advanceAsync(1_000);
      await until(() => expect(worker.stats().failed).toBeGreaterThanOrEqual(Math.min(3, round + 2)));
    }
    await until(() => expect(worker.stats().deadLettered).toBe(1));
    expect(attempts.filter((id) => id === poison)).toHaveLength(3);
    const dead = await broker.xrange('jobs:dead', '-', '+');
    expect(dead).toHaveLength(1);
    expect(dead[0]!.fields).toEqual({
      poison: '1',
      body: '{',
      'dead.id': poison,
      'dead.key': 'jobs',
      'dead.group': 'g',
      'dead.consumer': 'w1',
      'dead.deliveries': '3',
      'dead.reason': 'cannot parse payload',
    });
    expect(await broker.xpending('jobs', 'g')).toMatchObject({ count: 0 });
    expect(await worker.stop()).toMatchObject({ processed: 1, failed: 3, deadLettered: 1 });
  });

  it('dead-letters, without running the handler, an entry delivered past maxDeliveries by crashed workers', async () => {
    const { clock, broker } = setup();
    await broker.xgroupCreate('jobs', 'g', '0', { mkStream: true });
    const id = (await broker.xadd('jobs', { n: 'crashes-workers' }))!;
    await broker.xreadgroup('g', 'crashed', [['jobs', '>']]);
    await broker.xclaim('jobs', 'g', 'crashed', 0, [id], { retryCount: 2, idle: 60_000 });
    const handler = vi.fn();
    const worker = consume(broker, 'jobs', 'g', 'w1', handler, {
      clock,
      claimIdleMs: 30_000,
      maxDeliveries: 2,
      deadLetterKey: 'graveyard',
    });
    await until(() => expect(worker.stats().deadLettered).toBe(1));
    expect(handler).not.toHaveBeenCalled();
    const [dead] = await broker.xrange('graveyard', '-', '+');
    expect(dead!.fields).toMatchObject({ n: 'crashes-workers', 'dead.id': id, 'dead.deliveries': '3' });
    await worker.stop();
  });

  it('finishes its own pending entries first after a restart, and acks ones deleted meanwhile', async () => {
    const { clock, broker } = setup();
    await broker.xgroupCreate('jobs', 'g', '0', { mkStream: true });
    for (let i = 1; i <= 3; i++) await broker.xadd('jobs', { n: String(i) });
    await broker.xreadgroup('g', 'w1', [['jobs', '>']], { count: 3 });
    const [, second] = await broker.xrange('jobs', '-', '+');
    await broker.xdel('jobs', [second!.id]);
    const handled: string[] = [];
    const worker = consume(broker, 'jobs', 'g', 'w1', (e) => void handled.push(e.fields['n']!), { clock });
    await until(() => expect(handled).toEqual(['1', '3']));
    expect(await broker.xpending('jobs', 'g')).toMatchObject({ count: 0 });
    await worker.stop();
  });

  it('rejects `done` on an unrecoverable error, and validates its options', async () => {
    const { clock, broker } = setup();
    const worker = consume(broker, 'jobs', 'g', 'w1', () => {}, { clock, createGroupAt: false });
    await expect(worker.done).rejects.toMatchObject({ code: 'NOGROUP' });
    expect(() => consume(broker, 'jobs', 'g', 'w1', () => {}, { concurrency: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => consume(broker, 'jobs', 'g', 'w1', () => {}, { maxDeliveries: 1.5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
