/**
 * Type tests of the server's public API as users import it (`@spool/server`): which
 * `createSpool` options type-check and which are errors, and what the server hands back.
 * Checked by `tsc -b` and by Vitest's typecheck (the `server:types` project); never run.
 */
import {
  type Clock,
  MemoryBroker,
  MemoryMessageStore,
  type MessageStore,
  type StreamBroker,
  type StreamEntry,
} from '@spool/core';
import type { Logger } from 'pino';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createSpool,
  type PublishOptions,
  type Readiness,
  type ServerStats,
  type Spool,
  type SpoolOptions,
} from './index';
import {
  type AttachOptions,
  attach,
  installMetrics,
  type ListenOptions,
  listen,
  type SpoolMetrics,
  type SpoolServer,
} from './node/index';
import type { RedisBroker } from './redis/index';

declare const logger: Logger;
declare const clock: Clock;
declare const redis: RedisBroker;
declare const justId: boolean;
declare const spool: Spool;

describe('createSpool options', () => {
  it('takes no options, or any documented one with its own type', () => {
    expectTypeOf(createSpool).parameter(0).toEqualTypeOf<SpoolOptions | undefined>();
    expectTypeOf(createSpool()).toEqualTypeOf<Spool>();
    createSpool({});
    createSpool({
      broker: new MemoryBroker(),
      store: new MemoryMessageStore(),
      cache: { maxMemoryBytes: 64 * 2 ** 20 },
      topics: {
        retention: { maxEvents: 1000 },
        channelRetention: { maxAgeMs: 60_000 },
        catchupPageSize: 128,
      },
      auth: {
        tokens: { admin: ['admin-token'], user: ['user-token'] },
        allowedOrigins: ['https://app.example'],
        authorize: (principal, action, topic) =>
          principal.role === 'admin' || (action === 'subscribe' && !!topic),
      },
      ws: { path: '/v1/ws', maxFrameBytes: 2 ** 20 },
      sse: { retryMs: 1000, heartbeatIntervalMs: 10_000 },
      retry: { maxAttempts: 5, baseMs: 10, maxMs: 1000 },
      breaker: { failureThreshold: 3, cooldownMs: 5000 },
      statsIntervalMs: 500,
      maxBodyBytes: 2 ** 20,
      endedIdWindow: 1000,
      deadLetterReplayMs: 1000,
      logger,
      clock,
    });
    expectTypeOf<SpoolOptions['broker']>().toEqualTypeOf<StreamBroker | undefined>();
    expectTypeOf<SpoolOptions['store']>().toEqualTypeOf<MessageStore | undefined>();
  });

  it('refuses unknown options and options of the wrong type', () => {
    // @ts-expect-error no such option: the port belongs to `listen`
    createSpool({ port: 8080 });
    // @ts-expect-error a number of milliseconds, not a string
    createSpool({ statsIntervalMs: '1s' });
    // @ts-expect-error a number of bytes
    createSpool({ maxBodyBytes: true });
    // @ts-expect-error tokens are lists per role
    createSpool({ auth: { tokens: { admin: 'admin-token' } } });
    // @ts-expect-error SSE options are numbers
    createSpool({ sse: { retryMs: '2s' } });
    // @ts-expect-error no such SSE option
    createSpool({ sse: { retryMillis: 2000 } });
    // @ts-expect-error the completion callbacks of the cache belong to Spool
    createSpool({ cache: { onStreamComplete: () => {} } });
    // @ts-expect-error the retry's clock is the server's `clock`
    createSpool({ retry: { clock } });
    // @ts-expect-error a broker is a StreamBroker, not any object
    createSpool({ broker: {} });
    // @ts-expect-error a store is a MessageStore
    createSpool({ store: new MemoryBroker() });
    // @ts-expect-error the options are one object
    createSpool('redis://127.0.0.1:6379');
  });
});

describe('the server', () => {
  it('is a fetch handler, a producer runner and a stats source', () => {
    expectTypeOf<Spool['fetch']>().toEqualTypeOf<(request: Request) => Promise<Response>>();
    expectTypeOf<ReturnType<Spool['close']>>().toEqualTypeOf<Promise<void>>();
    expectTypeOf<Spool['run']>().returns.resolves.toHaveProperty('messageId').toEqualTypeOf<string>();
  });
});

describe('the public Spool', () => {
  it('is exactly fetch, publish, run, sse, stats, readiness, router and close', () => {
    expectTypeOf<keyof Spool>().toEqualTypeOf<
      'fetch' | 'publish' | 'run' | 'sse' | 'stats' | 'readiness' | 'router' | 'close'
    >();
    expectTypeOf<Spool['sse']>().toEqualTypeOf<(request: Request, topic: string) => Promise<Response>>();
    expectTypeOf<ReturnType<Spool['stats']>>().toEqualTypeOf<Promise<ServerStats>>();
    expectTypeOf<ReturnType<Spool['readiness']>>().toEqualTypeOf<Promise<Readiness>>();
  });

  it('keeps its internals private, and has no Node serving of its own', () => {
    // @ts-expect-error the StreamCache is internal
    spool.cache;
    // @ts-expect-error the chat pipeline is internal
    spool.messages;
    // @ts-expect-error the topics are internal
    spool.topics;
    // @ts-expect-error the WebSocket transport is the Node entry's
    spool.ws;
    // @ts-expect-error the broker is internal
    spool.broker;
    // @ts-expect-error the access control is internal
    spool.access;
    // @ts-expect-error counters are read through stats()
    spool.published;
    // @ts-expect-error `listen(spool, options)` of @spool/server/node
    spool.listen({ port: 0 });
    // @ts-expect-error `attach(spool, server)` of @spool/server/node
    spool.attach;
    // @ts-expect-error the node:http listeners are the Node entry's
    spool.handleRequest;
  });
});

describe('@spool/server/node', () => {
  it('serves a public Spool: attach, listen, installMetrics', () => {
    expectTypeOf(listen).parameters.toEqualTypeOf<[spool: Spool, options?: ListenOptions]>();
    expectTypeOf(listen(spool)).toEqualTypeOf<Promise<SpoolServer>>();
    expectTypeOf(attach).parameter(0).toEqualTypeOf<Spool>();
    expectTypeOf(attach).parameter(2).toEqualTypeOf<AttachOptions | undefined>();
    expectTypeOf(attach).returns.toEqualTypeOf<() => void>();
    expectTypeOf(installMetrics(spool)).toEqualTypeOf<SpoolMetrics>();
    // @ts-expect-error a Spool, not its options
    listen({ port: 8080 });
  });
});

describe('spool.publish', () => {
  it('takes the client’s arguments: (topic, data, { event, key })', () => {
    expectTypeOf<Parameters<Spool['publish']>>().toEqualTypeOf<
      [topic: string, data: unknown, options?: PublishOptions]
    >();
    expectTypeOf<PublishOptions>().toEqualTypeOf<{ event?: string; key?: string }>();
    expectTypeOf(spool.publish('news', { n: 1 })).toEqualTypeOf<Promise<string>>();
    spool.publish('news', { n: 1 }, { event: 'story', key: 'k1' });
  });

  it('refuses the former order (topic, event, data)', () => {
    // @ts-expect-error the third argument is the options, not the data
    spool.publish('news', 'story', { n: 1 });
    // @ts-expect-error the event name is a string
    spool.publish('news', { n: 1 }, { event: 1 });
  });
});

describe('RedisBroker (`@spool/server/redis`)', () => {
  it('has the StreamBroker overloads of xclaim: IDs for justId: true, entries otherwise', () => {
    expectTypeOf(redis).toExtend<StreamBroker>();
    expectTypeOf(redis.xclaim('s', 'g', 'c', 0, ['1-0'], { justId: true })).toEqualTypeOf<
      Promise<string[]>
    >();
    expectTypeOf(redis.xclaim('s', 'g', 'c', 0, ['1-0'])).toEqualTypeOf<Promise<StreamEntry[]>>();
    expectTypeOf(redis.xclaim('s', 'g', 'c', 0, ['1-0'], { justId })).toEqualTypeOf<
      Promise<string[] | StreamEntry[]>
    >();
  });
});
