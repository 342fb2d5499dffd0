import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpoolError } from '@spool/core';
import { errorResponse } from './errors';
import { mustCloseAfter, requestBodyStream, settleUnreadBody } from './request-body';

/**
 * The thin Node bridge: `IncomingMessage` → WHATWG `Request`, and a `Response` piped back
 * into `ServerResponse`. This is where leaks and stalled writes come from, so it stays
 * small: the request's signal aborts when the client goes away, and the body pump waits
 * for `drain` instead of buffering without bound.
 */

/** Options of {@link writeResponse} and {@link nodeListener}. */
export interface NodeBridgeOptions {
  /**
   * How much of a request body nobody read (a refused upload: 413, 405, 401...) the
   * bridge reads and throws away after the response, to keep a keep-alive connection
   * usable. A larger or unknown (chunked) remainder gets `Connection: close` instead.
   * @default 1048576 (1 MiB)
   */
  maxUnreadBodyBytes?: number;
}

/** The defaults of {@link NodeBridgeOptions}. */
export const nodeBridgeDefaults = Object.freeze({ maxUnreadBodyBytes: 1024 * 1024 });

/** Remote and local addresses of the socket a request arrived on (not part of WHATWG Request). */
export interface ConnectionInfo {
  remoteAddress: string | undefined;
  localAddress: string | undefined;
}

const connectionInfo = new WeakMap<Request, ConnectionInfo>();

/** The socket addresses of a request made by {@link toRequest}; undefined for other requests. */
export function connectionInfoOf(request: Request): ConnectionInfo | undefined {
  return connectionInfo.get(request);
}

// RFC 3986 §3.2.2 host (a reg-name or an IP literal) and an optional port: nothing that
// a URL parser would read as user info, a path or another authority.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]{0,5})?$/;

/**
 * The URL of a node:http request. The host comes from `Host` (validated) and the path is
 * appended to it, never resolved against it: the target `//127.0.0.1/v1/stats` sent to
 * `Host: evil.example` is a path on evil.example, not a request for 127.0.0.1, which
 * matters to the Host check of the open local mode. An absolute-form target (what
 * proxies get) carries its own authority, which wins over `Host` (RFC 9112 §3.2.2).
 *
 * @throws SpoolError `BAD_REQUEST` (a malformed `Host` or target)
 */
function requestUrl(req: IncomingMessage, secure: boolean): URL {
  const target = req.url ?? '/';
  const host = req.headers.host ?? 'localhost';
  let url: URL | undefined;
  try {
    if (!target.startsWith('/')) url = new URL(target);
    else if (HOST.test(host)) url = new URL(`${secure ? 'https' : 'http'}://${host}${target}`);
  } catch {
    // reported below
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:')) return url;
  throw new SpoolError(
    'BAD_REQUEST',
    `The Host header ${JSON.stringify(host.slice(0, 100))} or the request target ${JSON.stringify(target.slice(0, 100))} is not valid.`,
  );
}

/**
 * Converts a node:http request to a WHATWG `Request`. The request's `signal` aborts when
 * the response closes before it finished (the client went away).
 *
 * @throws SpoolError `BAD_REQUEST` when the `Host` header or the target is malformed
 *
 * @example
 * const request = toRequest(req, res);
 * await writeResponse(res, await spool.fetch(request));
 */
export function toRequest(req: IncomingMessage, res?: ServerResponse): Request {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (res) {
    res.once('close', () => {
      if (!res.writableFinished) abort();
    });
  } else req.once('close', abort);

  const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  const url = requestUrl(req, secure);

  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);

  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: controller.signal };
  if (hasBody) {
    init.body = requestBodyStream(req);
    init.duplex = 'half'; // required by undici for a streamed request body
  }
  const request = new Request(url, init);
  connectionInfo.set(request, {
    remoteAddress: req.socket.remoteAddress,
    localAddress: req.socket.localAddress,
  });
  return request;
}

/**
 * Writes a WHATWG `Response` to a node:http response, streaming the body with
 * backpressure: it awaits `drain` whenever `write` returns false, and cancels the body
 * when the client disconnects (so an SSE stream's cleanup runs). A request body the
 * handler left unread is then thrown away (up to `maxUnreadBodyBytes`), or the response
 * says `Connection: close`, so a keep-alive connection never waits on it.
 */
export async function writeResponse(
  res: ServerResponse,
  response: Response,
  options: NodeBridgeOptions = {},
): Promise<void> {
  const maxUnread = options.maxUnreadBodyBytes ?? nodeBridgeDefaults.maxUnreadBodyBytes;
  try {
    await writeHeadAndBody(res, response, maxUnread);
  } finally {
    settleUnreadBody(res, maxUnread);
  }
}

async function writeHeadAndBody(res: ServerResponse, response: Response, maxUnread: number): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key === 'set-cookie') return;
    headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  if (mustCloseAfter(res.req, maxUnread)) headers.connection = 'close';
  res.writeHead(response.status, response.statusText || undefined, headers);

  const body = response.body;
  if (!body || res.req.method === 'HEAD') {
    await body?.cancel().catch(() => {});
    res.end();
    return;
  }
  // Streaming bodies (SSE) must reach the client chunk by chunk, not after Nagle's delay.
  res.socket?.setNoDelay(true);
  res.flushHeaders();

  const reader = body.getReader();
  let closed = false;
  const onClose = () => {
    closed = true;
    reader.cancel().catch(() => {});
  };
  res.once('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || closed) break;
      if (!res.write(value)) await drained(res);
    }
  } catch {
    // The body errored or was cancelled because the client left: nothing more to send.
  } finally {
    res.off('close', onClose);
    if (!res.writableEnded) res.end();
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/**
 * A node:http request listener that serves a fetch-style handler.
 *
 * @example
 * http.createServer(nodeListener((req) => spool.fetch(req))).listen(8080);
 */
export function nodeListener(
  handler: (request: Request) => Promise<Response>,
  onError?: (err: unknown) => void,
  options: NodeBridgeOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    let request: Request;
    try {
      request = toRequest(req, res);
    } catch (err) {
      // A malformed Host or target: answered, never thrown out of the 'request' event.
      writeResponse(res, errorResponse(err), options).catch(() => res.destroy());
      return;
    }
    handler(request)
      .then((response) => writeResponse(res, response, options))
      .catch((err: unknown) => {
        onError?.(err);
        if (!res.headersSent) {
          const internal = new Response(
            JSON.stringify({ error: { code: 'INTERNAL', message: 'Internal server error.' } }),
            { status: 500, headers: { 'content-type': 'application/json; charset=utf-8' } },
          );
          return writeResponse(res, internal, options);
        }
        res.destroy();
      })
      .catch(() => res.destroy());
  };
}

/**
 * A body-less `Request` for an HTTP upgrade (the WebSocket handshake), so the same
 * `authenticate(request)` hook serves HTTP, SSE and WebSocket.
 *
 * @throws SpoolError `BAD_REQUEST` when the `Host` header or the target is malformed
 */
export function upgradeRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const request = new Request(requestUrl(req, false), { headers });
  connectionInfo.set(request, {
    remoteAddress: req.socket.remoteAddress,
    localAddress: req.socket.localAddress,
  });
  return request;
}
