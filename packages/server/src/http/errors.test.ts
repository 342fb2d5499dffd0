import { SpoolError } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { errorResponse, httpStatusOf, toSpoolError } from './errors';

describe('httpStatusOf', () => {
  it('follows the status table of docs/http-api.md', () => {
    const table: Array<[string, number]> = [
      ['BAD_REQUEST', 400],
      ['INVALID_EVENT_ID', 400],
      ['INVALID_ANYTHING_NEW', 400],
      ['DUPLICATE_CHUNK', 400],
      ['SYNTAX_ERROR', 400],
      ['UNAUTHENTICATED', 401],
      ['TOKEN_EXPIRED', 401],
      ['FORBIDDEN', 403],
      ['ORIGIN_NOT_ALLOWED', 403],
      ['HOST_NOT_ALLOWED', 403],
      ['NOT_FOUND', 404],
      ['STREAM_NOT_FOUND', 404],
      ['MESSAGE_NOT_FOUND', 404],
      ['TOPIC_NOT_FOUND', 404],
      ['NOGROUP', 404],
      ['NO_SUCH_KEY', 404],
      ['METHOD_NOT_ALLOWED', 405],
      ['STREAM_EXISTS', 409],
      ['MESSAGE_ENDED', 409],
      ['TOPIC_EXISTS', 409],
      ['TOO_MANY_TOPICS', 429],
      ['PERSIST_FAILED', 503],
      ['STREAM_CLOSED', 409],
      ['BUSYGROUP', 409],
      ['ID_TOO_SMALL', 409],
      ['PAYLOAD_TOO_LARGE', 413],
      ['RATE_LIMITED', 429],
      ['TOO_MANY_STREAMS', 429],
      ['TOO_MANY_CHUNKS', 429],
      ['MEMORY_LIMIT_REACHED', 429],
      ['CIRCUIT_OPEN', 503],
      ['UNAVAILABLE', 503],
      ['STORE_UNAVAILABLE', 503],
      ['BROKER_UNAVAILABLE', 503],
      ['INTERNAL', 500],
      ['SOMETHING_ELSE', 500],
    ];
    for (const [code, status] of table) expect([code, httpStatusOf(code)]).toEqual([code, status]);
  });
});

describe('errorResponse', () => {
  it('writes { error: { code, message } } with the status', async () => {
    const res = errorResponse(new SpoolError('NOT_FOUND', 'No route for GET /x'));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No route for GET /x' } });
  });

  it('carries retryAfterMs of a refusal for rate in the body and as Retry-After (whole seconds, rounded up)', async () => {
    const res = errorResponse(new SpoolError('RATE_LIMITED', 'later', { details: { retryAfterMs: 1200 } }));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toEqual({
      error: { code: 'RATE_LIMITED', message: 'later', retryAfterMs: 1200 },
    });
    expect(errorResponse(new SpoolError('RATE_LIMITED', 'x')).headers.get('retry-after')).toBeNull();
  });

  it('hides unknown errors behind INTERNAL and asks for a bearer token on 401', async () => {
    const res = errorResponse(new Error('password=hunter2 in a driver message'));
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INTERNAL');
    expect(body.error.message).not.toContain('hunter2');
    expect(errorResponse(new SpoolError('UNAUTHENTICATED', 'no')).headers.get('www-authenticate')).toBe(
      'Bearer',
    );
  });
});

describe('toSpoolError', () => {
  it('keeps a SpoolError as is', () => {
    const e = new SpoolError('FORBIDDEN', 'x');
    expect(toSpoolError(e)).toBe(e);
  });
});
