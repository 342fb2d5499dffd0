#!/usr/bin/env node
import { readFileSync } from 'node:fs';
// `pnpm check:node-free`: the runtime-agnostic entries import no `node:` module and no driver.
// Bundles each entry with esbuild (platform `neutral`, nothing external but React) and lists
// every `node:`/Node built-in or driver (ws, ioredis, pg, PGlite, pino, prom-client) it reaches.
// Checked: every entry of @spool/core and @spool/client. The server's main entry is not WHATWG-only
// yet (docs/architecture.md, "Server parts"), so it is reported, not judged.
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const DRIVERS = ['ws', 'ioredis', 'pg', '@electric-sql/pglite', 'pino', 'prom-client'];
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isForbidden = (path) =>
  path.startsWith('node:') ||
  builtins.has(path) ||
  DRIVERS.some((d) => path === d || path.startsWith(`${d}/`));

function entries(name) {
  const dir = join(root, 'packages', name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return Object.entries(manifest.exports)
    .filter(([key, target]) => target !== null && key !== './package.json' && !key.includes('*'))
    .map(([key, target]) => ({
      specifier: `${manifest.name}${key.slice(1)}`,
      file: join(dir, target['@spool/source']),
    }));
}

async function reached(file) {
  const found = new Set();
  await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    platform: 'neutral',
    format: 'esm',
    conditions: ['@spool/source'],
    mainFields: ['module', 'main'],
    external: ['react', 'react-dom', 'react/jsx-runtime', 'vitest'],
    logLevel: 'silent',
    plugins: [
      {
        name: 'forbidden',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            if (!isForbidden(args.path)) return undefined;
            found.add(args.path);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  return [...found].sort();
}

let failed = false;
for (const name of ['core', 'client']) {
  for (const { specifier, file } of entries(name)) {
    // The testing entry is for test suites, which run in Node.
    if (specifier.endsWith('/testing')) continue;
    const found = await reached(file);
    console.log(
      `${found.length ? 'FAIL' : 'ok  '} ${specifier}${found.length ? `: ${found.join(', ')}` : ''}`,
    );
    if (found.length) failed = true;
  }
}
const server = await reached(join(root, 'packages/server/src/index.ts'));
console.log(`info @spool/server (not yet judged): ${server.length ? server.join(', ') : 'none'}`);
if (failed) {
  console.error('check:node-free: an entry above reaches Node built-ins or a driver.');
  process.exitCode = 1;
}
