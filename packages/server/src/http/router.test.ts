import { describe, expect, it } from 'vitest';
import { Router } from './router';

const ok = () => new Response('ok');

describe('Router', () => {
  it('matches params and decodes them', () => {
    const router = new Router<null>().get('/v1/topics/:topic/events', ok);
    const m = router.match('GET', '/v1/topics/chan%3A1%3Ageneral/events');
    expect(m.kind).toBe('found');
    if (m.kind === 'found') expect(m.params).toEqual({ topic: 'chan:1:general' });
  });

  it('prefers static segments over parameters regardless of registration order', () => {
    const a = () => new Response('param');
    const b = () => new Response('static');
    const router = new Router<null>().get('/v1/streams/:key', a).get('/v1/streams/list', b);
    const m = router.match('GET', '/v1/streams/list');
    expect(m.kind === 'found' && m.route.handler).toBe(b);
  });

  it('answers method-not-allowed with the allowed methods, and not-found otherwise', () => {
    const router = new Router<null>().post('/v1/messages', ok).get('/v1/messages', ok);
    const m = router.match('DELETE', '/v1/messages');
    expect(m).toEqual({ kind: 'method-not-allowed', allow: ['POST', 'GET'] });
    expect(router.match('GET', '/v1/nope').kind).toBe('not-found');
    expect(router.match('GET', '/v1/messages/extra').kind).toBe('not-found');
  });

  it('lets HEAD use a GET route and matches a trailing wildcard', () => {
    const router = new Router<null>().get('/assets/*path', ok);
    const m = router.match('HEAD', '/assets/js/app.js');
    expect(m.kind === 'found' && m.params).toEqual({ path: 'js/app.js' });
  });

  it('never matches a malformed escape or an empty parameter', () => {
    const router = new Router<null>().get('/v1/messages/:id', ok);
    expect(router.match('GET', '/v1/messages/%E0%A4%A').kind).toBe('not-found');
    expect(router.match('GET', '/v1/messages/').kind).toBe('not-found');
  });

  it('rejects a duplicate route and a pattern without a leading slash', () => {
    const router = new Router<null>().get('/a', ok);
    expect(() => router.get('/a', ok)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => router.get('a', ok)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('keeps the access level of each route', () => {
    const router = new Router<null>()
      .get('/healthz', ok, { access: 'public' })
      .get('/v1/stats', ok, { access: 'admin' });
    expect(router.list()).toEqual(
      expect.arrayContaining([
        { method: 'GET', pattern: '/healthz', access: 'public' },
        { method: 'GET', pattern: '/v1/stats', access: 'admin' },
      ]),
    );
  });
});
