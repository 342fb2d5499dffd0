import { SpoolError } from '@spool/core';
import * as v from 'valibot';
import type { RouteContext } from '../route-context';

/**
 * Reads and validates a JSON body against a valibot schema. A body that does not match
 * fails with `BAD_REQUEST`, naming the first wrong field and the route, so the caller
 * knows what to fix. An empty body is validated as `{}`, so schemas whose fields are all
 * optional accept it.
 *
 * @throws SpoolError `BAD_REQUEST`, `PAYLOAD_TOO_LARGE`
 * @example const { reason } = await readBody(ctx, endBodySchema, 'POST /v1/messages/:id/end');
 */
export async function readBody<S extends v.GenericSchema>(
  ctx: Pick<RouteContext, 'json'>,
  schema: S,
  route: string,
): Promise<v.InferOutput<S>> {
  const body = (await ctx.json()) ?? {};
  return checkInput(schema, body, `the body of ${route}`);
}

/**
 * Validates any input (a body, query parameters) against a schema.
 * @throws SpoolError `BAD_REQUEST`
 */
export function checkInput<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  where: string,
): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = v.getDotPath(issue);
  const field = path ? `\`${path}\`` : 'the value';
  // valibot's own wording for a missing key is about its internals; say what to do instead.
  const message = issue.message.startsWith('Invalid key:') ? 'is required' : issue.message;
  throw new SpoolError('BAD_REQUEST', `Invalid ${where}: ${field} ${message}.`);
}

/** Query parameters as a plain object (the last value wins). */
export function queryOf(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams);
}

/**
 * An integer query parameter within bounds, or the fallback when absent.
 * @throws SpoolError `BAD_REQUEST`
 * @example const count = intParam(ctx.url, 'count', { min: 1, max: 1000 }, 100);
 */
export function intParam(
  url: URL,
  name: string,
  bounds: { min: number; max: number },
  fallback: number,
): number;
export function intParam(
  url: URL,
  name: string,
  bounds: { min: number; max: number },
  fallback?: number,
): number | undefined;
export function intParam(
  url: URL,
  name: string,
  bounds: { min: number; max: number },
  fallback?: number,
): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const n = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max) {
    throw new SpoolError(
      'BAD_REQUEST',
      `Query parameter \`${name}\` must be an integer from ${bounds.min} to ${bounds.max}, got ${JSON.stringify(raw)}.`,
    );
  }
  return n;
}

/** A boolean query flag: `1`/`true` → true, `0`/`false`/absent → false. @throws SpoolError `BAD_REQUEST` */
export function flagParam(url: URL, name: string): boolean {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new SpoolError(
    'BAD_REQUEST',
    `Query parameter \`${name}\` must be 1 or 0, got ${JSON.stringify(raw)}.`,
  );
}

/** A channel type path segment: an integer from 0 to 255 (a uint8 on the wire). @throws SpoolError `BAD_REQUEST` */
export function channelTypeParam(raw: string): number {
  const n = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 0 && n <= 255)) {
    throw new SpoolError(
      'BAD_REQUEST',
      `The channel type must be an integer from 0 to 255, got ${JSON.stringify(raw)}.`,
    );
  }
  return n;
}
