import { SpoolError } from '@spool/core';

/** Path parameters by name, already URL-decoded (`chan%3A1%3Ageneral` → `chan:1:general`). */
export type RouteParams = Record<string, string>;

/** Who may call a route: anyone, any authenticated principal, or admins only. */
export type RouteAccess = 'public' | 'user' | 'admin';

/**
 * A route handler. `ctx` is whatever the owner of the router passes at dispatch time;
 * for Spool it is a `RouteContext` (the principal, the URL, body and authorization helpers).
 */
export type RouteHandler<Ctx> = (
  request: Request,
  params: RouteParams,
  ctx: Ctx,
) => Response | Promise<Response>;

export interface Route<Ctx> {
  method: string;
  pattern: string;
  access: RouteAccess;
  handler: RouteHandler<Ctx>;
  segments: string[];
}

/** The result of {@link Router.match}: a route and its params, or why nothing matched. */
export type RouteMatch<Ctx> =
  | {
      /** A route matches the method and the path. */
      kind: 'found';
      /** The matching route, with its handler and access. */
      route: Route<Ctx>;
      /** The path's parameters, URL-decoded. */
      params: RouteParams;
    }
  | {
      /** Routes match the path, but none of them the method (HTTP 405). */
      kind: 'method-not-allowed';
      /** The methods the path's routes accept, for the `Allow` header. */
      allow: string[];
    }
  | {
      /** No route matches the path (HTTP 404). */
      kind: 'not-found';
    };

/**
 * A tiny method + path router. Patterns are `/`-separated; `:name` matches one non-empty
 * segment, and a final `*name` matches the rest of the path. Static routes win over
 * parameterised ones at the same depth, so `/v1/streams/:key` and a later literal never
 * shadow each other by registration order.
 *
 * @example
 * const router = new Router<Ctx>();
 * router.add('GET', '/v1/messages/:id', (req, { id }, ctx) => jsonResponse({ id }));
 * const m = router.match('GET', '/v1/messages/42'); // { kind: 'found', params: { id: '42' } }
 */
export class Router<Ctx> {
  private readonly routes: Route<Ctx>[] = [];

  /**
   * Registers `handler` for `method` and `pattern` (`:name` segments are parameters); `access` says who may
   * call it (default `user`). Throws `INVALID_OPTION` for a pattern not starting with `/`, or one registered
   * twice.
   */
  add(
    method: string,
    pattern: string,
    handler: RouteHandler<Ctx>,
    options: {
      /** Who may call the route. @default 'user' */
      access?: RouteAccess;
    } = {},
  ): this {
    if (!pattern.startsWith('/')) {
      throw new SpoolError(
        'INVALID_OPTION',
        `Route pattern must start with "/", got ${JSON.stringify(pattern)}.`,
      );
    }
    const segments = pattern.split('/').slice(1);
    const upper = method.toUpperCase();
    if (this.routes.some((r) => r.method === upper && r.pattern === pattern)) {
      throw new SpoolError('INVALID_OPTION', `Route ${upper} ${pattern} is registered twice.`);
    }
    this.routes.push({ method: upper, pattern, access: options.access ?? 'user', handler, segments });
    // Most specific first: static segments sort before parameters at the first difference.
    this.routes.sort((a, b) => specificity(b.segments) - specificity(a.segments));
    return this;
  }

  /** Registers a `GET` route (see {@link Router.add}). */
  get(
    pattern: string,
    handler: RouteHandler<Ctx>,
    options?: {
      /** Who may call the route. @default 'user' */
      access?: RouteAccess;
    },
  ): this {
    return this.add('GET', pattern, handler, options);
  }
  /** Registers a `POST` route (see {@link Router.add}). */
  post(
    pattern: string,
    handler: RouteHandler<Ctx>,
    options?: {
      /** Who may call the route. @default 'user' */
      access?: RouteAccess;
    },
  ): this {
    return this.add('POST', pattern, handler, options);
  }
  /** Registers a `PATCH` route (see {@link Router.add}). */
  patch(
    pattern: string,
    handler: RouteHandler<Ctx>,
    options?: {
      /** Who may call the route. @default 'user' */
      access?: RouteAccess;
    },
  ): this {
    return this.add('PATCH', pattern, handler, options);
  }
  /** Registers a `DELETE` route (see {@link Router.add}). */
  delete(
    pattern: string,
    handler: RouteHandler<Ctx>,
    options?: {
      /** Who may call the route. @default 'user' */
      access?: RouteAccess;
    },
  ): this {
    return this.add('DELETE', pattern, handler, options);
  }

  /** Matches `pathname` (still URL-encoded, as in `URL#pathname`). HEAD falls back to GET. */
  match(method: string, pathname: string): RouteMatch<Ctx> {
    const parts = pathname.split('/').slice(1);
    const upper = method.toUpperCase();
    const allow = new Set<string>();
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === upper || (upper === 'HEAD' && route.method === 'GET')) {
        return { kind: 'found', route, params };
      }
      allow.add(route.method);
    }
    return allow.size > 0 ? { kind: 'method-not-allowed', allow: [...allow] } : { kind: 'not-found' };
  }

  /** The registered routes, most specific first (for docs and tests). */
  list(): ReadonlyArray<Pick<Route<Ctx>, 'method' | 'pattern' | 'access'>> {
    return this.routes.map(({ method, pattern, access }) => ({ method, pattern, access }));
  }
}

function specificity(segments: string[]): number {
  let score = 0;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const weight = s.startsWith('*') ? 0 : s.startsWith(':') ? 1 : 2;
    score += weight * 3 ** (12 - Math.min(i, 12));
  }
  return score;
}

function matchSegments(pattern: string[], parts: string[]): RouteParams | undefined {
  const params: RouteParams = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith('*')) {
      const rest = parts.slice(i).map(decode);
      if (rest.some((x) => x === undefined)) return undefined;
      params[p.slice(1)] = rest.join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (p.startsWith(':')) {
      if (part === '') return undefined;
      const value = decode(part);
      if (value === undefined) return undefined;
      params[p.slice(1)] = value;
    } else if (p !== part) return undefined;
  }
  return parts.length === pattern.length ? params : undefined;
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined; // a malformed %-escape never matches (→ 404), rather than throwing
  }
}
