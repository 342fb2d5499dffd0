#!/usr/bin/env node
// CI: the packages as an npm user gets them. Packs @spool/core, @spool/server and
// @spool/client with `pnpm pack`, installs the tarballs with npm into an empty folder,
// and checks there, outside the workspace:
// - the metadata: LICENSE (MIT, as package.json says), repository, engines, and README
//   links that work on npm (absolute, into the repository, naming files that exist);
// - the main entries import with no optional peer (driver) installed, and every entry of
//   every `exports` map imports in plain Node ESM once the optional peers are added;
// - a Spool of `@spool/server` served by `listen` of `@spool/server/node` answers /healthz and
//   /metrics (the entries share one implementation across their built files);
// - `npx spool serve` on a free port answers /healthz and serves the dashboard at /.
// Run after `pnpm build` (.ci/run does). Usage: node scripts/pack-test.mjs [--keep]
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PACKAGES = ['core', 'server', 'client'];
// Peers a user of every entry has: React for @spool/client/react, Vitest for @spool/core/testing.
const PEERS = ['react@19.3.1', 'vitest@4.1.12'];
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const REPO = rootManifest.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');

const work = mkdtempSync(join(tmpdir(), 'spool-pack-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
const failures = [];
const step = (what) => console.log(`\n--- ${what}`);
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

let serve;
try {
  step('pnpm pack');
  mkdirSync(tarballs);
  for (const name of PACKAGES)
    run('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', name));
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  console.log(files.join('\n'));
  check(files.length === PACKAGES.length, `${PACKAGES.length} tarballs`);

  step('npm install into an empty folder');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'spool-pack-test', private: true, type: 'module' }),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files, ...PEERS], project);

  step('metadata');
  for (const name of PACKAGES) {
    const dir = join(project, 'node_modules', '@spool', name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const id = manifest.name;
    const license = existsSync(join(dir, 'LICENSE')) ? readFileSync(join(dir, 'LICENSE'), 'utf8') : '';
    check(
      manifest.license === 'MIT' && license.startsWith('MIT License'),
      `${id}: LICENSE is the MIT text package.json names`,
    );
    check(
      manifest.repository?.url === rootManifest.repository.url &&
        manifest.repository?.directory === `packages/${name}`,
      `${id}: repository ${manifest.repository?.url} (${manifest.repository?.directory})`,
    );
    check(
      manifest.engines?.node === rootManifest.engines.node,
      `${id}: engines.node ${manifest.engines?.node}`,
    );
    check(
      !JSON.stringify(manifest.dependencies ?? {}).includes('workspace:'),
      `${id}: no workspace: ranges left`,
    );
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    for (const link of links) {
      const inRepo = link.startsWith(`${REPO}/blob/main/`) || link.startsWith(`${REPO}/tree/main/`);
      const target = inRepo ? link.slice(`${REPO}/blob/main/`.length).split('#')[0] : undefined;
      check(
        /^https?:\/\//.test(link) && (!inRepo || existsSync(join(root, target))),
        `${id}: README link ${link}`,
      );
    }
  }

  // Optional peers are the drivers of the engine entries (pg for ./postgres, PGlite for
  // ./pglite): the main entries must import without them, as a memory-mode user installs
  // none; every entry must import once the user adds them.
  const manifests = PACKAGES.map((name) =>
    JSON.parse(readFileSync(join(project, 'node_modules', '@spool', name, 'package.json'), 'utf8')),
  );
  const entries = manifests.flatMap((manifest) =>
    Object.entries(manifest.exports)
      .filter(([key, target]) => target !== null && key !== './package.json')
      .map(([key]) => `${manifest.name}${key.slice(1)}`),
  );
  const optionalPeers = manifests.flatMap((manifest) =>
    Object.entries(manifest.peerDependencies ?? {})
      .filter(([peer]) => manifest.peerDependenciesMeta?.[peer]?.optional)
      .map(([peer, range]) => `${peer}@${range}`),
  );
  const importEntry = (specifier) => {
    const script = `const m = await import(${JSON.stringify(specifier)}); const n = Object.keys(m).length; if (!n) throw new Error('no exports'); console.log(n);`;
    try {
      return run('node', ['--input-type=module', '-e', script], project).trim();
    } catch {
      return '';
    }
  };
  const runQuiet = (specifier) => {
    const script = `await import(${JSON.stringify(specifier)});`;
    try {
      execFileSync('node', ['--input-type=module', '-e', script], { cwd: project, stdio: 'pipe' });
      return '';
    } catch (error) {
      return String(error.stderr ?? error);
    }
  };

  step(`every entry without the optional peers (${optionalPeers.join(', ') || 'none'})`);
  for (const specifier of entries) {
    const failure = runQuiet(specifier);
    const missingPeer = optionalPeers.find((peer) =>
      failure.includes(`Cannot find package '${peer.slice(0, peer.lastIndexOf('@'))}'`),
    );
    if (!failure) check(true, `import '${specifier}' needs no optional peer`);
    else if (missingPeer) console.log(`ok   import '${specifier}' needs ${missingPeer} (an engine entry)`);
    else
      check(
        false,
        `import '${specifier}' failed: ${failure.split('\n').find((l) => l.includes('Error')) ?? failure}`,
      );
  }
  for (const main of ['@spool/core', '@spool/server', '@spool/client'])
    check(!runQuiet(main), `main entry '${main}' loads no optional peer`);

  step('every entry imports in plain Node ESM, with the optional peers installed');
  if (optionalPeers.length)
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...optionalPeers], project);
  for (const specifier of entries) {
    const exports = importEntry(specifier);
    check(Number(exports) > 0, `import '${specifier}' (${exports || 'failed'} exports)`);
  }

  step('@spool/server served by @spool/server/node, with @spool/server/cli beside it');
  const served = `
    import { createSpool } from '@spool/server';
    import { listen } from '@spool/server/node';
    import { parseServeArgs } from '@spool/server/cli';
    const spool = createSpool();
    const { url, close } = await listen(spool, { port: 0 });
    const health = await fetch(url + '/healthz');
    const metrics = await fetch(url + '/metrics');
    const text = await metrics.text();
    await close();
    console.log(JSON.stringify([health.status, metrics.status, text.includes('spool_connections'), typeof parseServeArgs]));
  `;
  let servedOut = '';
  try {
    servedOut = execFileSync('node', ['--input-type=module', '-e', served], { cwd: project, stdio: 'pipe' })
      .toString()
      .trim();
  } catch (error) {
    servedOut = String(error.stderr ?? error);
  }
  check(
    servedOut === '[200,200,true,"function"]',
    `listen(createSpool()) answers /healthz and /metrics (${servedOut.split('\n')[0]})`,
  );

  step('npx spool serve');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Its own process group, so the whole command (npx and the server under it) stops together.
  serve = spawn('npx', ['--no-install', 'spool', 'serve'], {
    cwd: project,
    env: { ...process.env, SPOOL_HOST: '127.0.0.1', SPOOL_PORT: String(port), SPOOL_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const exited = new Promise((done) => serve.once('exit', (code, signal) => done({ code, signal })));
  check(await listening(serve, 60_000), `spool serve logged "spool listening on ${base}"`);
  const health = await fetch(`${base}/healthz`).catch(() => undefined);
  check(health?.status === 200, `GET /healthz ${health?.status}`);
  const page = await fetch(`${base}/`).catch(() => undefined);
  const html = page ? await page.text() : '';
  check(
    page?.status === 200 && html.includes('id="root"') && !html.includes('has not been built'),
    `GET / serves the dashboard (${page?.status}, ${page?.headers.get('content-type')})`,
  );
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  const asset = script ? await fetch(`${base}${script}`).catch(() => undefined) : undefined;
  check(
    asset?.status === 200 && /javascript/.test(asset.headers.get('content-type') ?? ''),
    `GET ${script ?? '(no script in index.html)'} ${asset?.status}`,
  );
  process.kill(-serve.pid, 'SIGTERM');
  const { code, signal } = await exited;
  check(code === 0 || signal === 'SIGTERM', `npx stopped on SIGTERM (exit ${code ?? signal})`);
  // The server under npx drains and exits too: nothing of the group is left.
  check(await groupGone(serve.pid, 30_000), 'spool serve drained and exited');
  serve = undefined;
} catch (err) {
  failures.push(String(err?.stack ?? err));
  console.error(err);
} finally {
  if (serve) process.kill(-serve.pid, 'SIGKILL');
  if (process.argv.includes('--keep')) console.log(`\nkept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

if (failures.length) {
  console.error(`\npack-test: ${failures.length} failure(s):\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log('\npack-test: the packed packages install, import and serve');

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Resolves true once the server logs that it listens (its pino JSON line), false on exit or timeout. */
function listening(child, ms) {
  return new Promise((done) => {
    let seen = '';
    const timer = setTimeout(() => done(false), ms);
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes('"msg":"spool listening on')) {
        clearTimeout(timer);
        done(true);
      }
    });
    child.once('exit', () => done(false));
  });
}

/** True once no process of group `pgid` is left (polled: a process group has no exit event). */
async function groupGone(pgid, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
