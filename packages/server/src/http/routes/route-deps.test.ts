import {
  CircuitBreaker,
  createManualClock,
  MemoryBroker,
  MemoryMessageStore,
  type StoredMessageInput,
} from '@spool/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../audit/audit-log';
import { AccessControl } from '../../auth/access-control';
import { PrincipalLimiter } from '../../auth/principal-limits';
import { KnownStreamKeys, trackStreamKeys } from '../../metrics/known-stream-keys';
import { dispatch } from '../dispatch';
import type { RouteContext } from '../route-context';
import { Router } from '../router';
import { registerBrokerRoutes } from './broker-routes';
import { registerStoreRoutes } from './store-routes';

const ADMIN = 'admin-token-0001';
const USER = 'user-token-0001';

/**
 * Serves one route group through the real dispatcher (authentication, the admin role, the
 * error mapping), with nothing of a Spool server: only the group's own deps, registered by
 * `register`. Request durations are kept so a test can see which route answered.
 */
function serveAlone(register: (router: Router<RouteContext>) => void) {
  const clock = createManualClock(1_700_000_000_000);
  const router = new Router<RouteContext>();
  register(router);
  const observed: string[] = [];
  const services = {
    router,
    access: new AccessControl({ tokens: { admin: [ADMIN], user: [USER] } }),
    principalLimits: new PrincipalLimiter({}, clock),
    maxBodyBytes: 1024,
    logger: pino({ level: 'silent' }),
    metrics: {
      observeRequest: (method: string, route: string, status: number) =>
        observed.push(`${method} ${route} ${status}`),
    },
  };
  const call = async (method: string, path: string, token: string | undefined, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await dispatch(
      services,
      new Request(`http://localhost${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  return { call, observed };
}

describe('a route group registered with only its deps', () => {
  it('broker routes serve over a MemoryBroker, known keys and an audit log, with no Spool', async () => {
    const streamKeys = new KnownStreamKeys();
    const broker = trackStreamKeys(new MemoryBroker(), streamKeys);
    const audit = new AuditLog(pino({ level: 'silent' }), createManualClock(0));
    const { call, observed } = serveAlone((router) =>
      registerBrokerRoutes(router, { broker, streamKeys, audit }),
    );

    const added = await call('POST', '/v1/streams/jobs/entries', USER, {
      fields: { kind: 'email' },
      id: '1-1',
    });
    expect(added).toEqual({ status: 201, body: { id: '1-1' } });
    expect(await broker.xlen('jobs')).toBe(1);
    expect((await call('POST', '/v1/streams/jobs/groups', USER, { group: 'workers', id: '0' })).status).toBe(
      201,
    );
    const read = await call('GET', '/v1/streams/jobs/groups/workers/consumers/w1?count=10', USER);
    expect(read.body).toEqual({ entries: [{ id: '1-1', fields: { kind: 'email' } }] });

    // The broker's own error codes come through the dispatcher's mapping.
    const noGroup = await call('GET', '/v1/streams/jobs/groups/nobody/consumers/w1', USER);
    expect([noGroup.status, noGroup.body.error.code]).toEqual([404, 'NOGROUP']);
    // Authentication and the admin role are the dispatcher's, with the AccessControl given.
    expect((await call('GET', '/v1/streams/jobs/entries', undefined)).status).toBe(401);
    expect((await call('GET', '/v1/streams', USER)).body.error.code).toBe('FORBIDDEN');
    expect((await call('GET', '/v1/streams', ADMIN)).body.items.map((s: { key: string }) => s.key)).toEqual([
      'jobs',
    ]);

    // The admin routes audit through the log they were given.
    const destroyed = await call('DELETE', '/v1/streams/jobs/groups/workers', ADMIN);
    expect(destroyed.body).toEqual({ destroyed: true });
    expect(audit.recent().map((e) => [e.action, e.details])).toEqual([
      ['group.destroyed', { key: 'jobs', group: 'workers', destroyed: true }],
    ]);

    // Only the group's own routes exist: the rest of the API is not there.
    expect((await call('GET', '/v1/topics', ADMIN)).status).toBe(404);
    expect(observed).toContain('POST /v1/streams/:key/entries 201');
    expect(observed).toContain('GET unmatched 404');
  });

  it('store routes search a MemoryMessageStore through the breaker they are given, and fail fast when it is open', async () => {
    const clock = createManualClock(1_700_000_000_000);
    const store = new MemoryMessageStore({ clock });
    const storeBreaker = new CircuitBreaker({
      name: 'store',
      failureThreshold: 1,
      cooldownMs: 60_000,
      clock,
    });
    const { call } = serveAlone((router) => registerStoreRoutes(router, { store, storeBreaker }));
    const message: StoredMessageInput = {
      messageId: '7',
      channelType: 1,
      channelId: 'general',
      meta: { messageId: '7', channelId: 'general', channelType: 1, fromUid: 'ada' },
      text: 'hello',
      lastChunkId: 0,
      reason: 'success',
      firstEventId: '1-0',
      lastEventId: '1-1',
    };
    await store.save(message);

    const found = await call('GET', '/v1/store/messages?fromUid=ada', ADMIN);
    expect(found.status).toBe(200);
    expect(found.body.items.map((m: { messageId: string }) => m.messageId)).toEqual(['7']);

    // A dependency's own failure trips the breaker; the next search is refused without reaching the store.
    await storeBreaker.execute(() => Promise.reject(new Error('store down'))).catch(() => undefined);
    const refused = await call('GET', '/v1/store/messages?fromUid=ada', ADMIN);
    expect([refused.status, refused.body.error.code]).toEqual([503, 'CIRCUIT_OPEN']);
  });
});
