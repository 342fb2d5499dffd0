import { SpoolError } from '@spool/core';

/**
 * GETs `path` of the HTTP API (docs/http-api.md) with the client's token from the first of
 * `bases` that answers: a request that fails on the network goes to the next base (the
 * failover of docs/protocol.md, "Several server URLs"); any answer, even an error, is the
 * answer. A reply that is not 2xx rejects with the server's `{ error: { code, message } }`
 * and the status in `details.status`; a request that fails on every base rejects with
 * `UNAVAILABLE`.
 *
 * @example const body = await getJson(fetch, ['http://127.0.0.1:8080'], '/v1/messages/42', token);
 */
export async function getJson<T>(
  fetcher: typeof fetch,
  bases: readonly string[],
  path: string,
  token: string | undefined,
  signal?: AbortSignal,
): Promise<T> {
  let res: Response | undefined;
  let cause: unknown;
  for (const base of bases) {
    try {
      res = await fetcher(base + path, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal,
      });
      break;
    } catch (err) {
      cause = err;
      if (signal?.aborted) break;
    }
  }
  if (!res) throw new SpoolError('UNAVAILABLE', `GET ${path} failed: ${String(cause)}`, { cause });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw new SpoolError(body.error?.code ?? 'UNAVAILABLE', body.error?.message ?? `HTTP ${res.status}`, {
      details: { status: res.status },
    });
  }
  return body as T;
}
