import { describe, expect, it } from 'vitest';
import { AccessControl, defaultAuthorize } from './access-control';
import { isLoopback } from './loopback';
import { extractToken, tokenAuthenticator } from './token-auth';

const req = (url = 'http://localhost/', headers: Record<string, string> = {}) =>
  new Request(url, { headers });

describe('extractToken', () => {
  it('reads a bearer header, the access_token query parameter, or a spool.token subprotocol', () => {
    expect(extractToken(req('http://x/', { authorization: 'Bearer abc.def' }))).toBe('abc.def');
    expect(extractToken(req('http://x/?access_token=qq'))).toBe('qq');
    expect(extractToken(req('http://x/', { 'sec-websocket-protocol': 'spool.v1, spool.token.t0k3n' }))).toBe(
      't0k3n',
    );
    expect(extractToken(req('http://x/', { 'sec-websocket-protocol': 'spool.v1, spool.auth.abc123' }))).toBe(
      'abc123',
    );
    expect(extractToken(req('http://x/', { authorization: 'Basic xyz' }))).toBeUndefined();
    expect(extractToken(req())).toBeUndefined();
  });
});

describe('tokenAuthenticator', () => {
  it('maps tokens to roles with ids that do not reveal the token', async () => {
    const auth = tokenAuthenticator({ admin: ['admin-token-1'], user: ['user-token-1'] });
    const admin = await auth(req('http://x/?access_token=admin-token-1'));
    const user = await auth(req('http://x/', { authorization: 'Bearer user-token-1' }));
    expect(admin?.role).toBe('admin');
    expect(user?.role).toBe('user');
    expect(admin?.id).not.toContain('admin-token-1');
    expect(await auth(req('http://x/?access_token=wrong-token'))).toBeUndefined();
    expect(await auth(req('http://x/'))).toBeUndefined();
  });

  it('rejects short tokens and tokens with separators', () => {
    expect(() => tokenAuthenticator({ admin: ['short'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => tokenAuthenticator({ user: ['has space in it'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});

describe('AccessControl', () => {
  it('is the local admin with no token, and refuses a non-loopback bind', async () => {
    const access = new AccessControl();
    expect(access.mode).toBe('local');
    expect((await access.authenticate(req())).role).toBe('admin');
    expect(() => access.assertCanServeOn('127.0.0.1')).not.toThrow();
    expect(() => access.assertCanServeOn('0.0.0.0')).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('enforces tokens when set, on any address', async () => {
    const access = new AccessControl({ tokens: { user: ['user-token-1'] } });
    await expect(access.authenticate(req())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const user = await access.authenticate(req('http://x/?access_token=user-token-1'));
    await expect(access.authorize(user, 'subscribe', '$sys')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(access.authorize(user, 'admin')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(access.authorize(user, 'subscribe', 'chan:1:general')).resolves.toBeUndefined();
    expect(() => access.assertCanServeOn('0.0.0.0')).not.toThrow();
  });

  it('uses custom hooks, but $sys still needs the admin role', async () => {
    const access = new AccessControl({
      authenticate: (r) =>
        r.headers.get('x-user') ? { id: r.headers.get('x-user')!, role: 'user' } : undefined,
      authorize: () => true,
    });
    const p = await access.authenticate(req('http://x/', { 'x-user': 'ann' }));
    expect(p.id).toBe('ann');
    await expect(access.authorize(p, 'subscribe', '$sys')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(access.authenticate(req())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('checks origins against the allow-list, and only loopback origins in the local mode', () => {
    const listed = new AccessControl({
      tokens: { admin: ['admin-token-1'] },
      allowedOrigins: ['https://app.example'],
    });
    expect(() => listed.checkOrigin(req('http://x/', { origin: 'https://app.example' }))).not.toThrow();
    expect(() => listed.checkOrigin(req('http://x/', { origin: 'https://evil.example' }))).toThrow(
      expect.objectContaining({ code: 'ORIGIN_NOT_ALLOWED' }),
    );
    expect(() => listed.checkOrigin(req())).not.toThrow();
    const local = new AccessControl();
    expect(() => local.checkOrigin(req('http://x/', { origin: 'http://localhost:5173' }))).not.toThrow();
    expect(() => local.checkOrigin(req('http://x/', { origin: 'https://evil.example' }))).toThrow(
      expect.objectContaining({ code: 'ORIGIN_NOT_ALLOWED' }),
    );
  });

  it('checks the Host only in the open local mode, and the Origin in every mode', () => {
    const local = new AccessControl();
    for (const url of ['http://localhost:8080/', 'http://127.0.0.1/', 'http://[::1]:1/'])
      expect(() => local.checkHostAndOrigin(req(url))).not.toThrow();
    expect(() => local.checkHostAndOrigin(req('http://evil.example:8080/'))).toThrow(
      expect.objectContaining({ code: 'HOST_NOT_ALLOWED' }),
    );
    expect(() =>
      local.checkHostAndOrigin(req('http://localhost/', { origin: 'http://evil.example' })),
    ).toThrow(expect.objectContaining({ code: 'ORIGIN_NOT_ALLOWED' }));
    const tokens = new AccessControl({
      tokens: { admin: ['admin-token-1'] },
      allowedOrigins: ['https://a.example'],
    });
    expect(() => tokens.checkHostAndOrigin(req('http://spool.example/'))).not.toThrow();
    expect(() =>
      tokens.checkHostAndOrigin(req('http://spool.example/', { origin: 'https://b.example' })),
    ).toThrow(expect.objectContaining({ code: 'ORIGIN_NOT_ALLOWED' }));
  });

  it('validates its options', () => {
    expect(() => new AccessControl({ authorize: 'yes' as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(
      () => new AccessControl({ authenticate: () => undefined, jwt: { secret: 'x'.repeat(32) } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('refuses a publish or produce on a $ topic to everyone, admins and custom hooks included', async () => {
    const admin = { id: 'a', role: 'admin' as const };
    for (const access of [new AccessControl(), new AccessControl({ authorize: () => true })]) {
      for (const action of ['publish', 'produce'] as const) {
        await expect(access.authorize(admin, action, '$sys')).rejects.toMatchObject({ code: 'FORBIDDEN' });
      }
      await expect(access.authorize(admin, 'subscribe', '$sys')).resolves.toBeUndefined();
    }
  });
});

describe('defaultAuthorize and isLoopback', () => {
  it('lets admins do anything and users anything but admin actions and $ topics', () => {
    expect(defaultAuthorize({ id: 'a', role: 'admin' }, 'admin', undefined)).toBe(true);
    expect(defaultAuthorize({ id: 'u', role: 'user' }, 'publish', '$internal')).toBe(false);
    expect(defaultAuthorize({ id: 'u', role: 'user' }, 'produce', 'chan:1:g')).toBe(true);
  });

  it('recognises loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.3.2.1', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])
      expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', undefined])
      expect(isLoopback(h)).toBe(false);
  });
});
