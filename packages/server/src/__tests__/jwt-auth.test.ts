/**
 * Every JWT outcome with real tokens (jose's SignJWT and generateKeyPair) over HTTP, SSE
 * and the WebSocket: valid, expired, wrong signature, audience or issuer, missing claims,
 * a pattern that does not match, `none`, a mismatched algorithm; and expiry during a
 * live connection. docs/security.md states the rules.
 */
import { createManualClock, type ManualClock, SpoolError } from '@spool/core';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { SpoolOptions } from '../options';
import { createSpoolInstance, type SpoolInstance } from '../spool';
import { fuzz } from './fuzz-kit';
import { serverFixture, startServer, TestClient, type TestServer } from './helpers';
import { keyPair, mint, nowSec, SECRET, startJwks, unsecured } from './jwt-kit';

const fixture = serverFixture();
const STATIC_ADMIN = 'static-admin-token-1';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const jwtSpool = (jwt: NonNullable<SpoolOptions['auth']>['jwt'], more: SpoolOptions = {}) =>
  createSpoolInstance({ ...more, auth: { jwt, tokens: { admin: [STATIC_ADMIN] } } });

async function call(spool: SpoolInstance, method: string, path: string, token?: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await spool.fetch(
    new Request(`http://localhost${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  const json = text === '' ? undefined : (JSON.parse(text) as { error?: { code: string } });
  return { status: res.status, code: json?.error?.code, body: json };
}

const publish = (spool: SpoolInstance, topic: string, token?: string) =>
  call(spool, 'POST', `/v1/topics/${encodeURIComponent(topic)}/events`, token, { data: { n: 1 } });

/** Opens a socket and reports how it ended (close code and reason), or that it opened. */
function attempt(url: string) {
  const ws = new WebSocket(url, ['spool.v1']);
  return new Promise<{ code: number; reason: string }>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

describe('options', () => {
  it('refuses a secret under 32 bytes, two key sources, no key, a private key and a bad PEM', async () => {
    const bad: Array<NonNullable<SpoolOptions['auth']>['jwt']> = [
      { secret: 'x'.repeat(31) },
      { secret: SECRET, jwksUrl: 'https://example.com/jwks' },
      {},
      { publicKey: 'not a pem' },
      { jwksUrl: 'ftp://example.com/jwks' },
      { secret: SECRET, audience: '' },
    ];
    const { privateKey } = await keyPair('ES256');
    const { exportPKCS8 } = await import('jose');
    bad.push({ publicKey: await exportPKCS8(privateKey) });
    for (const jwt of bad) {
      let err: unknown;
      try {
        createSpoolInstance({ auth: { jwt } });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(jwt)).toBeInstanceOf(SpoolError);
      expect((err as SpoolError).code).toBe('INVALID_OPTION');
    }
    expect(() => createSpoolInstance({ auth: { jwt: { secret: 'x'.repeat(32) } } }).close()).not.toThrow();
  });

  it('with a JWT key set, a non-loopback bind is allowed and loopback callers need a token too', async () => {
    const spool = jwtSpool({ secret: SECRET });
    closers.push(() => spool.close());
    expect(spool.access.mode).toBe('jwt');
    expect(() => spool.access.assertCanServeOn('0.0.0.0')).not.toThrow();
    const server = fixture.track(await startServer({ auth: { jwt: { secret: SECRET } } }));
    const res = await fetch(`${server.url}/v1/topics/notes/history`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
  });
});

describe('HTTP with HS256', () => {
  const spool = jwtSpool({ secret: SECRET, audience: 'spool', issuer: 'https://auth.example.com' });
  afterAll(() => spool.close());
  const good = (grants: Record<string, unknown>, o: Parameters<typeof mint>[1] = {}) =>
    mint({ spool: grants }, { aud: 'spool', iss: 'https://auth.example.com', ...o });

  it('a valid token publishes where a pattern matches, and nowhere else (403 FORBIDDEN)', async () => {
    const token = await good({ publish: ['notes', 'chan:1:*'] });
    expect((await publish(spool, 'notes', token)).status).toBe(201);
    expect((await publish(spool, 'chan:1:general', token)).status).toBe(201);
    expect((await publish(spool, 'chan:1:a:b:c', token)).status).toBe(201);
    for (const topic of ['notes2', 'chan:2:general', 'chan:1', 'Notes']) {
      expect(await publish(spool, topic, token)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    }
  });

  it('every bad token is 401 with a stable code', async () => {
    const grants = { spool: { publish: ['*'] } };
    const iss = 'https://auth.example.com';
    const cases: Array<[string, string | undefined, string]> = [
      ['none', undefined, 'UNAUTHENTICATED'],
      ['garbage', 'not.a.jwt', 'UNAUTHENTICATED'],
      ['expired', await mint(grants, { aud: 'spool', iss, exp: nowSec() - 10 }), 'TOKEN_EXPIRED'],
      [
        'wrong signature',
        await mint(grants, { aud: 'spool', iss, key: new TextEncoder().encode(`${SECRET}-other`) }),
        'UNAUTHENTICATED',
      ],
      ['wrong audience', await mint(grants, { aud: 'other', iss }), 'UNAUTHENTICATED'],
      ['no audience', await mint(grants, { iss }), 'UNAUTHENTICATED'],
      [
        'wrong issuer',
        await mint(grants, { aud: 'spool', iss: 'https://evil.example.com' }),
        'UNAUTHENTICATED',
      ],
      ['missing sub', await mint(grants, { aud: 'spool', iss, sub: null }), 'UNAUTHENTICATED'],
      ['missing exp', await mint(grants, { aud: 'spool', iss, exp: null }), 'UNAUTHENTICATED'],
      ['alg none', unsecured({ ...grants, aud: 'spool', iss }), 'UNAUTHENTICATED'],
      [
        'HS512 with the same secret',
        await mint(grants, { aud: 'spool', iss, alg: 'HS512' }),
        'UNAUTHENTICATED',
      ],
      ['spool claim not an object', await mint({ spool: ['*'] }, { aud: 'spool', iss }), 'UNAUTHENTICATED'],
      [
        'spool list not strings',
        await mint({ spool: { publish: [1] } }, { aud: 'spool', iss }),
        'UNAUTHENTICATED',
      ],
    ];
    for (const [name, token, code] of cases) {
      expect(await publish(spool, 'notes', token), name).toMatchObject({ status: 401, code });
    }
  });

  it('an absent spool claim grants nothing; each list grants only its action', async () => {
    const nothing = await good({});
    const noClaim = await mint({}, { aud: 'spool', iss: 'https://auth.example.com' });
    for (const token of [nothing, noClaim]) {
      expect((await publish(spool, 'notes', token)).code).toBe('FORBIDDEN');
      expect((await call(spool, 'GET', '/v1/topics/notes/history', token)).code).toBe('FORBIDDEN');
    }
    const reader = await good({ subscribe: ['notes'] });
    expect((await call(spool, 'GET', '/v1/topics/notes/history', reader)).status).toBe(200);
    expect((await publish(spool, 'notes', reader)).code).toBe('FORBIDDEN');
    // produce: open a chat message on its channel only
    const producer = await good({ produce: ['chan:1:*'] });
    const open = await call(spool, 'POST', '/v1/messages', producer, {
      channelId: 'general',
      channelType: 1,
    });
    expect(open.status).toBe(201);
    const other = await call(spool, 'POST', '/v1/messages', producer, {
      channelId: 'general',
      channelType: 2,
    });
    expect(other.code).toBe('FORBIDDEN');
    expect((await publish(spool, 'chan:1:general', producer)).code).toBe('FORBIDDEN');
    // broker: its stream keys only
    const worker = await good({ broker: ['jobs:*'] });
    expect(
      (await call(spool, 'POST', '/v1/streams/jobs%3Aa/entries', worker, { fields: { a: '1' } })).status,
    ).toBe(201);
    expect(
      (await call(spool, 'POST', '/v1/streams/spool%3Acompleted/entries', worker, { fields: { a: '1' } }))
        .code,
    ).toBe('FORBIDDEN');
  });

  it('admin routes need the admin grant; no pattern reaches a $ topic; nobody publishes to $sys', async () => {
    const all = await good({ subscribe: ['*'], publish: ['*'] });
    expect((await call(spool, 'GET', '/v1/stats', all)).code).toBe('FORBIDDEN');
    expect((await call(spool, 'GET', '/v1/topics/%24sys/history', all)).code).toBe('FORBIDDEN');
    expect((await publish(spool, '$other', all)).code).toBe('FORBIDDEN');
    const admin = await good({ admin: true });
    expect((await call(spool, 'GET', '/v1/stats', admin)).status).toBe(200);
    await spool.publish('$sys', {}, { event: 'stats' });
    expect((await call(spool, 'GET', '/v1/topics/%24sys/history', admin)).status).toBe(200);
    // The admin grant reads operator data; topics still need patterns.
    expect((await call(spool, 'GET', '/v1/topics/notes/history', admin)).code).toBe('FORBIDDEN');
    const superuser = await good({ admin: true, publish: ['*'] });
    expect(await publish(spool, '$sys', superuser)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(await publish(spool, '$sys', STATIC_ADMIN)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('fuzzed tokens (garbage, and valid tokens with one character changed) are always 401, never let in', async () => {
    const valid = await good({ publish: ['*'] });
    const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const mutated = fc
      .tuple(fc.nat({ max: valid.length - 1 }), fc.constantFrom(...b64, '.', '='))
      .map(([i, c]) => valid.slice(0, i) + c + valid.slice(i + 1))
      .filter((t) => t !== valid);
    const segment = fc.string({ unit: fc.constantFrom(...b64), maxLength: 60 });
    const garbage = fc.oneof(
      fc.tuple(segment, segment, segment).map((p) => p.join('.')),
      fc.string({ unit: fc.constantFrom(...b64, '.'), minLength: 1, maxLength: 200 }),
    );
    await fuzz('jwt tokens', fc.oneof(mutated, garbage), 150, async (token) => {
      const r = await publish(spool, 'notes', token);
      // One changed character may land in the signature's padding bits and still verify:
      // then the token is the same token, and is let in as such.
      if (r.status === 201) {
        expect(Buffer.from(token.split('.')[2]!, 'base64url')).toEqual(
          Buffer.from(valid.split('.')[2]!, 'base64url'),
        );
        return;
      }
      expect(r.status).toBe(401);
      expect(r.code).toBe('UNAUTHENTICATED');
    });
  });

  it('static tokens keep working beside JWTs', async () => {
    expect((await publish(spool, 'notes', STATIC_ADMIN)).status).toBe(201);
    expect((await call(spool, 'GET', '/v1/stats', STATIC_ADMIN)).status).toBe(200);
    expect((await publish(spool, 'notes', 'static-admin-token-2')).code).toBe('UNAUTHENTICATED');
  });
});

describe('public keys', () => {
  it('RS256 and ES256 PEM keys verify their own algorithm only', async () => {
    for (const alg of ['RS256', 'ES256'] as const) {
      const pair = await keyPair(alg);
      const spool = createSpoolInstance({ auth: { jwt: { publicKey: pair.pem } } });
      closers.push(() => spool.close());
      const grants = { spool: { publish: ['notes'] } };
      expect((await publish(spool, 'notes', await mint(grants, { alg, key: pair.privateKey }))).status).toBe(
        201,
      );
      // The classic confusion: an HS256 token whose secret is the public key's PEM.
      const confused = await mint(grants, { alg: 'HS256', key: new TextEncoder().encode(pair.pem) });
      expect((await publish(spool, 'notes', confused)).code, `${alg}: HS256 with the PEM`).toBe(
        'UNAUTHENTICATED',
      );
      const other = await keyPair(alg);
      const forged = await mint(grants, { alg, key: other.privateKey });
      expect((await publish(spool, 'notes', forged)).code, `${alg}: another key`).toBe('UNAUTHENTICATED');
      expect((await publish(spool, 'notes', unsecured(grants))).code, `${alg}: none`).toBe('UNAUTHENTICATED');
      // An environment variable with escaped newlines reads the same.
      const escaped = createSpoolInstance({ auth: { jwt: { publicKey: pair.pem.replace(/\n/g, '\\n') } } });
      closers.push(() => escaped.close());
      expect(
        (await publish(escaped, 'notes', await mint(grants, { alg, key: pair.privateKey }))).status,
      ).toBe(201);
    }
  });

  it('a JWKS URL: keys by kid, fetched once and cached; a kid it lacks is refused', async () => {
    const rsa = await keyPair('RS256');
    const ec = await keyPair('ES256');
    const jwks = await startJwks([
      { key: rsa.publicKey, kid: 'r1', alg: 'RS256' },
      { key: ec.publicKey, kid: 'e1', alg: 'ES256' },
    ]);
    closers.push(() => jwks.close());
    const spool = createSpoolInstance({ auth: { jwt: { jwksUrl: jwks.url, audience: 'spool' } } });
    closers.push(() => spool.close());
    const grants = { spool: { publish: ['notes'] } };
    for (let i = 0; i < 3; i++) {
      const r = await mint(grants, { alg: 'RS256', key: rsa.privateKey, kid: 'r1', aud: 'spool' });
      const e = await mint(grants, { alg: 'ES256', key: ec.privateKey, kid: 'e1', aud: 'spool' });
      expect((await publish(spool, 'notes', r)).status).toBe(201);
      expect((await publish(spool, 'notes', e)).status).toBe(201);
    }
    expect(jwks.fetches).toBe(1);
    // A token naming the RSA kid but signed as ES256: the key type pins the algorithm.
    const mismatched = await mint(grants, { alg: 'ES256', key: ec.privateKey, kid: 'r1', aud: 'spool' });
    expect((await publish(spool, 'notes', mismatched)).code).toBe('UNAUTHENTICATED');
    const hs = await mint(grants, { alg: 'HS256', kid: 'r1', aud: 'spool' });
    expect((await publish(spool, 'notes', hs)).code).toBe('UNAUTHENTICATED');
    const stranger = await keyPair('RS256');
    const unknown = await mint(grants, { alg: 'RS256', key: stranger.privateKey, kid: 'zz', aud: 'spool' });
    expect((await publish(spool, 'notes', unknown)).code).toBe('UNAUTHENTICATED');
  });

  it('a JWKS URL that cannot be reached is 503 UNAVAILABLE, not a bad token', async () => {
    const jwks = await startJwks([]);
    const url = jwks.url;
    await jwks.close();
    const spool = createSpoolInstance({ auth: { jwt: { jwksUrl: url } } });
    closers.push(() => spool.close());
    const rsa = await keyPair('RS256');
    const token = await mint(
      { spool: { publish: ['notes'] } },
      { alg: 'RS256', key: rsa.privateKey, kid: 'r1' },
    );
    expect(await publish(spool, 'notes', token)).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
  });
});

describe('WebSocket', () => {
  let server: TestServer;
  let clock: ManualClock | undefined;

  const connect = async (token: string) => {
    const c = await TestClient.connect(`${server.wsUrl}?access_token=${token}`);
    fixture.keep(c);
    return c;
  };

  it('refuses bad tokens with 4401 and the code as the reason', async () => {
    server = fixture.track(await startServer({ auth: { jwt: { secret: SECRET } } }));
    expect(await attempt(server.wsUrl)).toEqual({ code: 4401, reason: 'UNAUTHENTICATED' });
    const expired = await mint({}, { exp: nowSec() - 5 });
    expect(await attempt(`${server.wsUrl}?access_token=${expired}`)).toEqual({
      code: 4401,
      reason: 'TOKEN_EXPIRED',
    });
    const forged = await mint({}, { key: new TextEncoder().encode(`${SECRET}!wrong`) });
    expect((await attempt(`${server.wsUrl}?access_token=${forged}`)).code).toBe(4401);
    expect((await attempt(`${server.wsUrl}?access_token=${unsecured({})}`)).code).toBe(4401);
  });

  it('takes a JWT as a bearer header or a subprotocol entry too (browsers cannot set headers)', async () => {
    server = fixture.track(await startServer({ auth: { jwt: { secret: SECRET } } }));
    const token = await mint({ spool: { publish: ['notes'] } });
    for (const c of [
      await TestClient.connect(server.wsUrl, { headers: { authorization: `Bearer ${token}` } }),
      await TestClient.connect(server.wsUrl, { protocols: ['spool.v1', `spool.auth.${token}`] }),
    ]) {
      fixture.keep(c);
      expect(c.ws.protocol).toBe('spool.v1');
      expect(await c.request({ op: 'pub', topic: 'notes', data: 1 })).toMatchObject({ op: 'ack' });
    }
  });

  it('sub, pub and msg.* follow the patterns; $sys needs the admin grant', async () => {
    server = fixture.track(await startServer({ auth: { jwt: { secret: SECRET } } }));
    const c = await connect(
      await mint({ spool: { subscribe: ['chan:1:*', '$sys'], publish: ['notes'], produce: ['chan:1:*'] } }),
    );
    expect(await c.request({ op: 'pub', topic: 'notes', data: 1 })).toMatchObject({ op: 'ack' });
    expect(await c.request({ op: 'pub', topic: 'other', data: 1 })).toMatchObject({
      op: 'err',
      code: 'FORBIDDEN',
    });
    expect(await c.request({ op: 'pub', topic: '$sys', data: 1 })).toMatchObject({
      op: 'err',
      code: 'FORBIDDEN',
    });
    c.send({ op: 'sub', topic: 'chan:1:general' });
    expect(await c.next((f) => f.op === 'subok')).toMatchObject({ topic: 'chan:1:general' });
    c.send({ op: 'sub', topic: 'notes' });
    expect(await c.next((f) => f.op === 'err')).toMatchObject({ topic: 'notes', code: 'FORBIDDEN' });
    c.send({ op: 'sub', topic: '$sys' });
    expect(await c.next((f) => f.op === 'err')).toMatchObject({ topic: '$sys', code: 'FORBIDDEN' });
    const opened = await c.request({ op: 'msg.open', meta: { channelId: 'general', channelType: 1 } });
    expect(opened).toMatchObject({ op: 'ack' });
    const messageId = opened.messageId as string;
    expect(await c.request({ op: 'msg.append', messageId, chunkId: 0, text: 'hi' })).toMatchObject({
      op: 'ack',
    });
    expect(await c.request({ op: 'msg.end', messageId })).toMatchObject({ op: 'ack' });
    expect(await c.request({ op: 'msg.open', meta: { channelId: 'general', channelType: 2 } })).toMatchObject(
      { op: 'err', code: 'FORBIDDEN' },
    );

    const admin = await connect(await mint({ spool: { admin: true } }));
    admin.send({ op: 'sub', topic: '$sys' });
    expect(await admin.next((f) => f.op === 'subok')).toMatchObject({ topic: '$sys' });
  });

  it('closes a live socket with 4401 TOKEN_EXPIRED at exp, after what was already sent', async () => {
    clock = createManualClock(Date.now());
    server = fixture.track(await startServer({ auth: { jwt: { secret: SECRET } }, clock }));
    const exp = nowSec() + 60;
    const c = await connect(await mint({ spool: { subscribe: ['notes'], publish: ['notes'] } }, { exp }));
    c.send({ op: 'sub', topic: 'notes' });
    await c.next((f) => f.op === 'subok');
    expect(await c.request({ op: 'pub', topic: 'notes', data: 'before' })).toMatchObject({ op: 'ack' });
    await c.events('notes', 1);
    clock.advance(exp * 1000 - clock.now() - 1);
    c.send({ op: 'ping', ref: 99 });
    expect(await c.next((f) => f.op === 'pong')).toMatchObject({ ref: 99 });
    clock.advance(1);
    expect(await c.closed).toEqual({ code: 4401, reason: 'TOKEN_EXPIRED' });
  });
});

describe('SSE', () => {
  let server: TestServer;
  const sse = (topic: string, token?: string) =>
    fetch(`${server.url}/v1/topics/${encodeURIComponent(topic)}/events?lastEventId=0-0`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it('streams with a matching token; 401 and 403 otherwise', async () => {
    server = fixture.track(await startServer({ auth: { jwt: { secret: SECRET } } }));
    await server.spool.publish('notes', { n: 1 }, { event: 'note' });
    const ok = await sse('notes', await mint({ spool: { subscribe: ['no*'] } }));
    expect(ok.status).toBe(200);
    const reader = ok.body!.getReader();
    let text = '';
    while (!text.includes('"n":1')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const refused: Array<[string | undefined, number, string]> = [
      [undefined, 401, 'UNAUTHENTICATED'],
      [await mint({ spool: { subscribe: ['no*'] } }, { exp: nowSec() - 1 }), 401, 'TOKEN_EXPIRED'],
      [await mint({ spool: { subscribe: ['other'] } }), 403, 'FORBIDDEN'],
      [await mint({ spool: { subscribe: ['*'] } }, { alg: 'HS384' }), 401, 'UNAUTHENTICATED'],
    ];
    for (const [token, status, code] of refused) {
      const res = await sse('notes', token);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    const sys = await sse('$sys', await mint({ spool: { subscribe: ['*'] } }));
    expect(sys.status).toBe(403);
    await sys.body?.cancel();
  });

  it('ends a live stream with `event: error` TOKEN_EXPIRED at exp', async () => {
    const clock = createManualClock(Date.now());
    server = fixture.track(await startServer({ auth: { jwt: { secret: SECRET } }, clock }));
    const exp = nowSec() + 60;
    const res = await sse('notes', await mint({ spool: { subscribe: ['notes'] } }, { exp }));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    await server.spool.publish('notes', { n: 1 }, { event: 'note' });
    while (!text.includes('"n":1')) text += decoder.decode((await reader.read()).value, { stream: true });
    clock.advance(exp * 1000 - clock.now());
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toMatch(/event: error\ndata: \{"code":"TOKEN_EXPIRED",[^\n]*\n\n$/);
  });
});
