#!/usr/bin/env node
import { readFileSync } from 'node:fs';
// `pnpm check:node-free`: the runtime-agnostic entries import no `node:` module and no driver.
// Bundles each entry with esbuild (platform `neutral`, nothing external but React) and lists
// every `node:`/Node built-in or driver (ws, ioredis, pg, PGlite, pino, prom-client) it reaches.
// Judged: every entry of @spool/core and @spool/client, and the main entry of @spool/server
// (docs/architecture.md, "The package and entry graph"). The server's other entries are Node's
// by design (node, cli) or load a driver (redis, postgres, pglite): listed, not judged.
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
const judged = [
  ...entries('core'),
  ...entries('client'),
  ...entries('server').filter(({ specifier }) => specifier === '@spool/server'),
];
for (const { specifier, file } of judged) {
  // The testing entry is for test suites, which run in Node.
  if (specifier.endsWith('/testing')) continue;
  const found = await reached(file);
  console.log(`${found.length ? 'FAIL' : 'ok  '} ${specifier}${found.length ? `: ${found.join(', ')}` : ''}`);
  if (found.length) failed = true;
}
for (const { specifier } of entries('server')) {
  if (specifier !== '@spool/server')
    console.log(`--   ${specifier} (not judged: Node or a driver by design)`);
}
if (failed) {
  console.error('check:node-free: an entry above reaches Node built-ins or a driver.');
  process.exitCode = 1;
}
