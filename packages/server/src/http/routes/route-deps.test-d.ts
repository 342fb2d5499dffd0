/**
 * Type tests of the route groups' deps: each group names only the parts of the server it
 * reads, and a route's context holds the request's own things, never the server. Checked by
 * `tsc -b` and by Vitest's typecheck (the `server:types` project); never run.
 */
import type { MemoryBroker, MessageStore, TopicRegistry } from '@spool/core';
import { describe, expectTypeOf, it } from 'vitest';
import type { SpoolInstance } from '../../spool';
import type { DispatchServices } from '../dispatch';
import type { HealthRouteDeps } from '../health-routes';
import type { RouteContext } from '../route-context';
import type { Router } from '../router';
import {
  type BrokerRouteDeps,
  type ChannelHistoryDeps,
  type MessageRouteDeps,
  type MetricsRouteDeps,
  type OperatorRouteDeps,
  registerBrokerRoutes,
  registerStoreRoutes,
  registerTopicRoutes,
  type StoreRouteDeps,
  type TopicRouteDeps,
} from './index';

declare const router: Router<RouteContext>;
declare const broker: MemoryBroker;
declare const store: MessageStore;
declare const topics: TopicRegistry;
declare const spool: SpoolInstance;

describe('route group deps', () => {
  it('name only what each group reads', () => {
    expectTypeOf<keyof BrokerRouteDeps>().toEqualTypeOf<'broker' | 'streamKeys' | 'audit'>();
    expectTypeOf<keyof StoreRouteDeps>().toEqualTypeOf<'store' | 'storeBreaker'>();
    expectTypeOf<keyof ChannelHistoryDeps>().toEqualTypeOf<'store' | 'storeBreaker' | 'messages'>();
    expectTypeOf<keyof TopicRouteDeps>().toEqualTypeOf<'topics' | 'topicDirectory' | 'publishFor'>();
    expectTypeOf<keyof MessageRouteDeps>().toEqualTypeOf<
      'messages' | 'cache' | 'store' | 'storeBreaker' | 'audit' | 'cluster'
    >();
    expectTypeOf<keyof OperatorRouteDeps>().toEqualTypeOf<'stats' | 'messages' | 'audit'>();
    expectTypeOf<keyof MetricsRouteDeps>().toEqualTypeOf<'metrics'>();
    expectTypeOf<keyof HealthRouteDeps>().toEqualTypeOf<'readiness'>();
  });

  it('are met by a few plain parts, with no server', () => {
    registerBrokerRoutes(router, {
      broker,
      streamKeys: { list: () => ['jobs'] },
      audit: { record: () => {} },
    });
    registerTopicRoutes(router, { topics, topicDirectory: undefined, publishFor: async () => '1-0' });
    registerStoreRoutes(router, {
      store,
      storeBreaker: spool.breakers.store,
    });
    // @ts-expect-error a broker alone is not enough: the audit log and the known keys are deps too
    registerBrokerRoutes(router, { broker });
  });

  it('leave the route context to the request', () => {
    expectTypeOf<keyof RouteContext>().toEqualTypeOf<'principal' | 'url' | 'json' | 'authorize'>();
  });

  it('the dispatcher reads the router and the request checks, which a Spool has', () => {
    expectTypeOf(spool).toExtend<DispatchServices>();
  });
});
