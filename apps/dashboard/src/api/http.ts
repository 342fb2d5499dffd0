/**
 * The one place the dashboard talks HTTP. Every reply that is not 2xx becomes an
 * {@link ApiError} carrying the server's `{ error: { code, message } }` (docs/http-api.md);
 * a request that never reached the server becomes `UNREACHABLE`, so views can tell
 * "the server said no" from "there is no server".
 */

/** A failed API call: `code` is the server's error code, or `UNREACHABLE` when no reply came. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Code of an {@link ApiError} raised when the server could not be reached at all. */
export const UNREACHABLE = 'UNREACHABLE';

/** Whether `err` means the server is down or a proxy in front of it answered for it. */
export function isUnreachable(err: unknown): boolean {
  return err instanceof ApiError && err.code === UNREACHABLE;
}

export interface HttpOptions {
  /** Origin the routes are relative to. @default globalThis.location.origin */
  baseUrl?: string;
  /** Admin token sent as `Authorization: Bearer`; read at every request so a sign-in applies at once. */
  getToken?: () => string | null | undefined;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Sends one JSON request; resolves with the parsed reply body. */
export type HttpRequest = <T>(
  method: HttpMethod,
  path: string,
  options?: { body?: unknown; query?: Record<string, string | number | boolean | undefined> },
) => Promise<T>;

/**
 * Creates the JSON request function the API routes are built on.
 *
 * @example
 * const request = createHttp({ getToken: () => sessionStorage.getItem('spool.token') });
 * const stats = await request<SpoolStats>('GET', '/v1/stats');
 */
export function createHttp(options: HttpOptions = {}): HttpRequest {
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return async function request<T>(
    method: HttpMethod,
    path: string,
    { body, query }: { body?: unknown; query?: Record<string, string | number | boolean | undefined> } = {},
  ): Promise<T> {
    const url = new URL(path, options.baseUrl ?? globalThis.location.origin);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = options.getToken?.();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    let res: Response;
    try {
      res = await doFetch(url.href, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      throw new ApiError(UNREACHABLE, `Cannot reach the Spool server at ${url.origin}.`, 0, { cause });
    }
    const text = await res.text();
    const parsed = parseJson(text);
    if (res.ok) return parsed as T;
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (error && typeof error.code === 'string') {
      throw new ApiError(error.code, String(error.message ?? error.code), res.status);
    }
    // A dev proxy or load balancer answering 502/503/504 without Spool's error body: the
    // server itself is not there.
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      throw new ApiError(UNREACHABLE, `The Spool server is not answering (HTTP ${res.status}).`, res.status);
    }
    throw new ApiError('INTERNAL', `HTTP ${res.status} from ${method} ${url.pathname}`, res.status);
  };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
