import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dashboardAssets } from './dashboard-assets';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spool-dash-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const get = (path: string, method = 'GET') => new Request(`http://spool.test${path}`, { method });

describe('dashboardAssets', () => {
  it('serves files with their content type, hashed assets cached for a year, index.html never cached', async () => {
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
    await writeFile(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
    await writeFile(join(dir, 'assets', 'index-AbC123.css'), 'body{}');
    await writeFile(join(dir, 'favicon.svg'), '<svg/>');
    const serve = dashboardAssets(dir);

    const index = (await serve(get('/')))!;
    expect([index.status, index.headers.get('content-type'), index.headers.get('cache-control')]).toEqual([
      200,
      'text/html; charset=utf-8',
      'no-cache',
    ]);
    expect(await index.text()).toContain('id="root"');
    const js = (await serve(get('/assets/index-AbC123.js')))!;
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-length')).toBe('14');
    expect(await js.text()).toBe('console.log(1)');
    expect((await serve(get('/assets/index-AbC123.css')))!.headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    const icon = (await serve(get('/favicon.svg')))!;
    expect([icon.headers.get('content-type'), icon.headers.get('cache-control')]).toEqual([
      'image/svg+xml',
      'no-cache',
    ]);
  });

  it('answers index.html for unknown paths (client-side routes), 404 for missing hashed assets, nothing outside the folder', async () => {
    await writeFile(join(dir, 'index.html'), 'INDEX');
    const secret = `${dir.split('/').pop()}-secret.txt`; // next to the folder, not in it
    await writeFile(join(dir, '..', secret), 'SECRET');
    const serve = dashboardAssets(dir);
    expect(await (await serve(get('/streams/42')))!.text()).toBe('INDEX');
    expect((await serve(get('/assets/gone-123.js')))!.status).toBe(404);
    for (const path of [`/../${secret}`, `/%2e%2e/${secret}`, `/..%2f${secret}`, `/%2e%2e%2f${secret}`]) {
      const res = (await serve(get(path)))!;
      expect(await res.text()).not.toBe('SECRET');
    }
    expect(await serve(get('/', 'POST'))).toBeUndefined();
    expect((await serve(get('/', 'HEAD')))!.status).toBe(200);
    await rm(join(dir, '..', secret));
  });

  it('says how to build the dashboard when the folder has no build', async () => {
    const serve = dashboardAssets(join(dir, 'missing'));
    const res = (await serve(get('/')))!;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toContain('pnpm --filter @spool/dashboard build');
  });
});
