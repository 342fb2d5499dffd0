import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimCases } from './contract/claim-cases';
import { entriesCases } from './contract/entries-cases';
import { type BrokerFixture, expectCode, untilBlocked } from './contract/fixture';
import { groupCases } from './contract/group-cases';
import { onceCases } from './contract/once-cases';
import { readCases } from './contract/read-cases';

export type { BrokerFixture } from './contract/fixture';

/**
 * The behaviour every `StreamBroker` must have, as one Vitest suite modelled on
 * Redis's own stream tests (tests/unit/type/stream.tcl and stream-cgroups.tcl). Each test
 * gets a fresh broker from `makeBroker`; a networked broker should use a unique key
 * prefix per call and delete its keys in `cleanup`.
 *
 * @example
 * // memory-broker.test.ts
 * brokerContract('MemoryBroker', () => {
 *   const clock = createManualClock(1_700_000_000_000);
 *   const broker = new MemoryBroker({ clock });
 *   return { broker, clock, blockedReaders: async () => broker.blockedReaders };
 * });
 */
export function brokerContract(name: string, makeBroker: () => BrokerFixture | Promise<BrokerFixture>): void {
  describe(`StreamBroker contract: ${name}`, () => {
    let fixture: BrokerFixture;
    let closed = false;
    const get = () => fixture;

    beforeEach(async () => {
      fixture = await makeBroker();
      closed = false;
    });
    afterEach(async () => {
      if (!closed) await fixture.broker.close();
      await fixture.cleanup?.();
    });

    entriesCases(get);
    readCases(get);
    groupCases(get);
    claimCases(get);
    onceCases(get);

    it('ping resolves; after close every call and every blocked read fails with BROKER_CLOSED', async () => {
      await expect(fixture.broker.ping()).resolves.toBeUndefined();
      const blocked = expectCode(fixture.broker.xread([['s', '$']], { block: 0 }), 'BROKER_CLOSED');
      await untilBlocked(fixture, 1);
      closed = true;
      await fixture.broker.close();
      await blocked;
      await expectCode(fixture.broker.xadd('s', { f: 'v' }), 'BROKER_CLOSED');
      await expectCode(fixture.broker.xlen('s'), 'BROKER_CLOSED');
      await expectCode(fixture.broker.xaddOnce('s', 'k', { f: 'v' }), 'BROKER_CLOSED');
      await expectCode(fixture.broker.ping(), 'BROKER_CLOSED');
      await expect(fixture.broker.close()).resolves.toBeUndefined();
    });
  });
}
