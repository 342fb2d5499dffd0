/**
 * Type tests of the StreamBroker interface: XCLAIM and XAUTOCLAIM reply with IDs when
 * `justId: true`, with entries otherwise, and with either when `justId` is only known at run
 * time. Checked by `tsc -b` and by Vitest's typecheck (the `core:types` project); never run.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { MemoryBroker } from './memory-broker';
import type { StreamBroker, StreamEntry, XautoclaimReply, XclaimOptions } from './stream-broker';

declare const broker: StreamBroker;
declare const memory: MemoryBroker;
declare const justId: boolean;
declare const options: XclaimOptions;
const ids = ['1-0', '2-0'];

describe('xclaim', () => {
  it('replies with IDs for justId: true', () => {
    expectTypeOf(broker.xclaim('s', 'g', 'c', 0, ids, { justId: true })).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(broker.xclaim('s', 'g', 'c', 0, ids, { idle: 10, force: true, justId: true })).toEqualTypeOf<
      Promise<string[]>
    >();
  });

  it('replies with entries without justId or with justId: false', () => {
    expectTypeOf(broker.xclaim('s', 'g', 'c', 0, ids)).toEqualTypeOf<Promise<StreamEntry[]>>();
    expectTypeOf(broker.xclaim('s', 'g', 'c', 0, ids, { retryCount: 2 })).toEqualTypeOf<
      Promise<StreamEntry[]>
    >();
    expectTypeOf(broker.xclaim('s', 'g', 'c', 0, ids, { justId: false })).toEqualTypeOf<
      Promise<StreamEntry[]>
    >();
  });

  it('replies with either when justId is a boolean known at run time', () => {
    expectTypeOf(broker.xclaim('s', 'g', 'c', 0, ids, { justId })).toEqualTypeOf<
      Promise<string[] | StreamEntry[]>
    >();
    expectTypeOf(broker.xclaim('s', 'g', 'c', 0, ids, options)).toEqualTypeOf<
      Promise<string[] | StreamEntry[]>
    >();
  });

  it('has the same overloads on MemoryBroker', () => {
    expectTypeOf(memory.xclaim('s', 'g', 'c', 0, ids, { justId: true })).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(memory.xclaim('s', 'g', 'c', 0, ids)).toEqualTypeOf<Promise<StreamEntry[]>>();
    expectTypeOf(memory.xclaim('s', 'g', 'c', 0, ids, { justId })).toEqualTypeOf<
      Promise<string[] | StreamEntry[]>
    >();
  });

  it('refuses arguments of the wrong type', () => {
    // @ts-expect-error the IDs are a list
    broker.xclaim('s', 'g', 'c', 0, '1-0');
    // @ts-expect-error justId is a boolean
    broker.xclaim('s', 'g', 'c', 0, ids, { justId: 'yes' });
    // @ts-expect-error no such option
    broker.xclaim('s', 'g', 'c', 0, ids, { count: 10 });
  });
});

describe('xautoclaim', () => {
  it('replies with IDs for justId: true, entries otherwise, either for a boolean', () => {
    expectTypeOf(broker.xautoclaim('s', 'g', 'c', 0, '0-0', { justId: true })).toEqualTypeOf<
      Promise<XautoclaimReply<string>>
    >();
    expectTypeOf(broker.xautoclaim('s', 'g', 'c', 0, '0-0', { count: 10 })).toEqualTypeOf<
      Promise<XautoclaimReply<StreamEntry>>
    >();
    expectTypeOf(broker.xautoclaim('s', 'g', 'c', 0, '0-0', { justId })).toEqualTypeOf<
      Promise<XautoclaimReply<string> | XautoclaimReply<StreamEntry>>
    >();
  });
});
