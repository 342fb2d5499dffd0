import type { SpoolOptions } from '../../../options';
import { createSpoolInstance, type SpoolInstance } from '../../../spool';

export const ADMIN_TOKEN = 'admin-token-0001';
export const USER_TOKEN = 'user-token-0001';

/** A reply as tests read it: status, parsed JSON (or text), headers. */
export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export type As = 'admin' | 'user' | 'nobody';

/**
 * Calls `spool.fetch` (no socket: a socket adds nothing to route behaviour) as an admin,
 * a user, or nobody (no token).
 */
export function apiOf(spool: SpoolInstance, as: As = 'admin') {
  const call = async <T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    init: { headers?: Record<string, string>; rawBody?: string } = {},
  ): Promise<Reply<T>> => {
    const headers: Record<string, string> = { ...init.headers };
    if (as !== 'nobody') headers.authorization = `Bearer ${as === 'admin' ? ADMIN_TOKEN : USER_TOKEN}`;
    let payload: string | undefined = init.rawBody;
    if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const res = await spool.fetch(new Request(`http://localhost${path}`, { method, headers, body: payload }));
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON (metrics): keep the text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  return {
    get: <T = unknown>(path: string) => call<T>('GET', path),
    post: <T = unknown>(
      path: string,
      body?: unknown,
      init?: { headers?: Record<string, string>; rawBody?: string },
    ) => call<T>('POST', path, body, init),
    patch: <T = unknown>(path: string, body?: unknown) => call<T>('PATCH', path, body),
    delete: <T = unknown>(path: string) => call<T>('DELETE', path),
  };
}

/** A Spool with an admin and a user token (so "unauthorized" means something). */
export function tokenSpool(options: SpoolOptions = {}): SpoolInstance {
  return createSpoolInstance({ auth: { tokens: { admin: [ADMIN_TOKEN], user: [USER_TOKEN] } }, ...options });
}

/** The error code of a reply, or undefined. */
export function codeOf(reply: Reply): string | undefined {
  return (reply.body as { error?: { code?: string } } | undefined)?.error?.code;
}

export const enc = encodeURIComponent;
