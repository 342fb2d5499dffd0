import { expect } from 'vitest';
import type { ManualClock } from '../../time/clock';
import type { StreamBroker } from '../stream-broker';

/** What a `brokerContract` factory returns: a fresh, isolated broker and how to dispose of it. */
export interface BrokerFixture {
  /** A fresh broker that shares no data with any other test. */
  broker: StreamBroker;
  /**
   * The broker's clock when it runs on fake time (MemoryBroker): idle times are then
   * asserted exactly and timeouts are driven by advancing it. Without it, the suite
   * tolerates real time and asserts lower bounds only.
   */
  clock?: ManualClock;
  /** How many of this broker's reads are blocked right now (on the server, for a networked broker). */
  blockedReaders(): Promise<number>;
  /** Drops whatever the fixture created (a key prefix). Runs after `broker.close()`. */
  cleanup?: () => void | Promise<void>;
}

/** Asserts that `promise` rejects with a SpoolError of this code. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'SpoolError', code });
}

/** Waits (polling) until `n` reads of the fixture's broker are blocked. */
export async function untilBlocked(f: BrokerFixture, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await f.blockedReaders()) < n) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} blocked reader(s)`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Lets `ms` pass: on the fixture's manual clock, or (real time) not at all; returns the lower bound to assert. */
export async function elapse(f: BrokerFixture, ms: number): Promise<number> {
  if (!f.clock) return 0;
  await f.clock.advanceAsync(ms);
  return ms;
}

/** Ends a blocked read that is expected to time out after `ms`: advances the fake clock, or waits for real. */
export async function timeOut<T>(f: BrokerFixture, read: Promise<T>, ms: number): Promise<T> {
  if (f.clock) await f.clock.advanceAsync(ms);
  return read;
}

/** Adds entries `<i>-0` for i in [from, to] with one field `n=i`. */
export async function fill(broker: StreamBroker, key: string, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) await broker.xadd(key, { n: String(i) }, { id: `${i}-0` });
}

export const ids = (entries: ReadonlyArray<{ id: string }>): string[] => entries.map((e) => e.id);
