import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { ORIGIN } from '../test/render';
import { server } from '../test/server';
import { ApiError, createHttp, isUnreachable, UNREACHABLE } from './http';

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

describe('createHttp', () => {
  it('sends JSON with the Bearer token and the query, and parses the reply', async () => {
    let seen: { auth: string | null; type: string | null; url: string; body: unknown } | undefined;
    server.use(
      http.post(`${ORIGIN}/v1/things`, async ({ request }) => {
        seen = {
          auth: request.headers.get('authorization'),
          type: request.headers.get('content-type'),
          url: request.url,
          body: await request.json(),
        };
        return HttpResponse.json({ ok: true }, { status: 201 });
      }),
    );
    const request = createHttp({ baseUrl: ORIGIN, getToken: () => 't0k' });
    const reply = await request<{ ok: boolean }>('POST', '/v1/things', {
      body: { a: 1 },
      query: { limit: 10, cursor: undefined, empty: '' },
    });
    expect(reply).toEqual({ ok: true });
    expect(seen).toEqual({
      auth: 'Bearer t0k',
      type: 'application/json',
      url: `${ORIGIN}/v1/things?limit=10`,
      body: { a: 1 },
    });
  });

  it('sends no Authorization header without a token', async () => {
    let auth: string | null = 'unset';
    server.use(
      http.get(`${ORIGIN}/v1/x`, ({ request }) => {
        auth = request.headers.get('authorization');
        return HttpResponse.json({});
      }),
    );
    await createHttp({ baseUrl: ORIGIN, getToken: () => null })('GET', '/v1/x');
    expect(auth).toBeNull();
  });

  it("turns the server's error body into an ApiError with its code and status", async () => {
    server.use(
      http.get(`${ORIGIN}/v1/x`, () =>
        HttpResponse.json({ error: { code: 'NOGROUP', message: 'no such group' } }, { status: 404 }),
      ),
    );
    const err = await failure(createHttp({ baseUrl: ORIGIN })('GET', '/v1/x'));
    expect([err.code, err.status, err.message]).toEqual(['NOGROUP', 404, 'no such group']);
    expect(isUnreachable(err)).toBe(false);
  });

  it('reports UNREACHABLE on a network error and on a bare 502 from a proxy', async () => {
    server.use(http.get(`${ORIGIN}/v1/down`, () => HttpResponse.error()));
    const down = await failure(createHttp({ baseUrl: ORIGIN })('GET', '/v1/down'));
    expect(down.code).toBe(UNREACHABLE);
    expect(isUnreachable(down)).toBe(true);

    server.use(http.get(`${ORIGIN}/v1/proxy`, () => new HttpResponse('Bad Gateway', { status: 502 })));
    expect((await failure(createHttp({ baseUrl: ORIGIN })('GET', '/v1/proxy'))).code).toBe(UNREACHABLE);
  });

  it('reports INTERNAL for a non-JSON error reply', async () => {
    server.use(http.get(`${ORIGIN}/v1/x`, () => new HttpResponse('boom', { status: 500 })));
    const err = await failure(createHttp({ baseUrl: ORIGIN })('GET', '/v1/x'));
    expect([err.code, err.status]).toEqual(['INTERNAL', 500]);
  });
});
