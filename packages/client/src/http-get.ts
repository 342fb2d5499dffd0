import { SpoolError } from '@spool/core';

/**
 * GETs a JSON route of the HTTP API (docs/http-api.md) with the client's token. A reply
 * that is not 2xx rejects with the server's `{ error: { code, message } }` and the status
 * in `details.status`; a request that fails rejects with `UNAVAILABLE`.
 *
 * @example const body = await getJson(fetch, 'http://127.0.0.1:8080/v1/messages/42', token);
 */
export async function getJson<T>(
  fetcher: typeof fetch,
  url: string,
  token: string | undefined,
  signal?: AbortSignal,
): Promise<T> {
  let res: Response;
  try {
    res = await fetcher(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal });
  } catch (cause) {
    throw new SpoolError('UNAVAILABLE', `GET ${url} failed: ${String(cause)}`, { cause });
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw new SpoolError(body.error?.code ?? 'UNAVAILABLE', body.error?.message ?? `HTTP ${res.status}`, {
      details: { status: res.status },
    });
  }
  return body as T;
}
