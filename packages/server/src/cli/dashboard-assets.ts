import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite puts content-hashed files here: they never change, so browsers may keep them forever. */
const HASHED_PREFIX = '/assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Serves the built dashboard (apps/dashboard/dist) for `spool serve`: files with their
 * content type, hashed assets cached for a year, and `index.html` (never cached, so a new
 * build shows at once) for any other GET path, which the dashboard's router then handles.
 * When the folder holds no build, every page is a short HTML note saying how to build it.
 * Answers undefined for what is not its business (other methods), so API routes go first.
 *
 * @example
 * const assets = dashboardAssets('/srv/spool/apps/dashboard/dist');
 * const response = (await assets(request)) ?? (await spool.fetch(request));
 */
export function dashboardAssets(dir: string): (request: Request) => Promise<Response | undefined> {
  const root = resolve(dir);
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    const index = join(root, 'index.html');
    if (!(await isFile(index))) return notBuilt(root);
    let path: string;
    try {
      path = decodeURIComponent(new URL(request.url).pathname);
    } catch {
      return text(400, 'Bad path.');
    }
    const file = resolve(root, `.${path}`);
    // Never outside the dashboard folder, whatever `..` or encoded slashes the path holds.
    if (file !== root && !file.startsWith(root + sep)) return text(404, 'Not found.');
    if (path !== '/' && (await isFile(file)))
      return serveFile(file, path.startsWith(HASHED_PREFIX) ? IMMUTABLE : 'no-cache');
    if (path.startsWith(HASHED_PREFIX)) return text(404, 'Not found.');
    return serveFile(index, 'no-cache');
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function serveFile(path: string, cacheControl: string): Promise<Response> {
  const info = await stat(path);
  const body = Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
  return new Response(body, {
    headers: {
      'content-type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(info.size),
      'cache-control': cacheControl,
      'last-modified': info.mtime.toUTCString(),
      'x-content-type-options': 'nosniff',
    },
  });
}

function text(status: number, message: string): Response {
  return new Response(message, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

function notBuilt(root: string): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spool: dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Spool is running</h1>
<p>The dashboard has not been built, so there is nothing to show at <code>/</code> yet.</p>
<p>Build it with <code>pnpm --filter @spool/dashboard build</code> (or run <code>pnpm start</code>, which builds it first),
then reload this page. Spool looked in <code>${escapeHtml(root)}</code>; point <code>--dashboard-dir</code> or
<code>SPOOL_DASHBOARD_DIR</code> elsewhere if the build lives somewhere else.</p>
<p>The API answers meanwhile: <a href="/healthz">/healthz</a>, <a href="/v1/stats">/v1/stats</a>, <a href="/metrics">/metrics</a>.</p>
</body></html>
`;
  return new Response(html, {
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
