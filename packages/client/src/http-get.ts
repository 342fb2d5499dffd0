import { SpoolError } from '@spool/core';
import { bad, httpBase, type ResolvedClientOptions } from './options';

/** What a GET needs of a client: its fetch function, token and `httpUrl`, and its server URLs. */
export interface HttpClient {
  readonly options: Pick<ResolvedClientOptions, 'fetch' | 'getToken' | 'token' | 'httpUrl'>;
  /** The server URLs. */
  readonly urls: readonly string[];
  /** The server URL in use (one of `urls`), whose HTTP base is asked first. */
  readonly url: string;
}

/**
 * GETs `path` of the HTTP API (docs/http-api.md) with the client's token (a fresh one from
 * `getToken`, as for every connection attempt) from `httpUrl`, or else from the HTTP bases
 * of the client's URLs, the one in use first: a request that fails on the network goes to
 * the next base (the failover of docs/protocol.md, "Several server URLs"); any answer, even
 * an error, is the answer. A reply that is not 2xx rejects with the server's
 * `{ error: { code, message } }` and the status in `details.status`; a request that fails
 * on every base rejects with `UNAVAILABLE`; without a fetch function, `INVALID_OPTION`.
 *
 * @example const body = await getJson(client, '/v1/messages/42');
 */
export async function getJson<T>(client: HttpClient, path: string, signal?: AbortSignal): Promise<T> {
  const { options: o, urls: u } = client;
  const fetcher = o.fetch;
  if (!fetcher) throw bad('fetch', 'a function (the `fetch` option, or globalThis.fetch)', fetcher);
  const i = u.indexOf(client.url);
  const bases = o.httpUrl ? [o.httpUrl] : u.slice(i).concat(u.slice(0, i)).map(httpBase);
  const token = o.getToken ? await o.getToken() : o.token;
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
