#!/usr/bin/env node
/**
 * Builds the dashboard only when its build is stale: a hash of every source it is built
 * from (the dashboard, @spool/client, @spool/core) is compared with the hash the last build
 * wrote next to its output. Several `pnpm start` at once from one checkout (a local
 * cluster) take a lock, so one builds and the others find the build fresh.
 *
 * Usage: node scripts/dashboard-build.mjs [--check]   (--check: exit 1 when stale, build nothing)
 * Its test (packages/server/src/cli/dashboard-build.test.ts) points it at a scratch tree with
 * DASHBOARD_BUILD_ROOT and DASHBOARD_BUILD_COMMAND (a JSON argv); nothing else sets them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.env.DASHBOARD_BUILD_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
const [command, ...args] = process.env.DASHBOARD_BUILD_COMMAND
  ? JSON.parse(process.env.DASHBOARD_BUILD_COMMAND)
  : ['pnpm', '--filter', '@spool/dashboard', 'build'];
const dist = join(root, 'apps/dashboard/dist');
const stamp = join(dist, '.source-hash');
const lockDir = join(root, 'apps/dashboard/.build-lock');
const INPUTS = [
  'apps/dashboard/src',
  'apps/dashboard/index.html',
  'apps/dashboard/package.json',
  'apps/dashboard/vite.config.ts',
  'apps/dashboard/tsconfig.json',
  'packages/client/src',
  'packages/client/package.json',
  'packages/core/src',
  'packages/core/package.json',
];

function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((e) => (e.name === 'node_modules' ? [] : files(join(path, e.name))))
    .sort();
}

function sourceHash() {
  const h = createHash('sha256');
  for (const input of INPUTS) {
    for (const file of files(join(root, input))) {
      h.update(relative(root, file));
      h.update('\0');
      h.update(readFileSync(file));
      h.update('\0');
    }
  }
  return h.digest('hex');
}

const fresh = (hash) =>
  existsSync(join(dist, 'index.html')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** mkdir is atomic: the one that creates the directory holds the lock. A dead holder's lock is taken over. */
async function withLock(fn) {
  mkdirSync(join(lockDir, '..'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let pid = Number.NaN;
      try {
        pid = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
      } catch {
        // the holder has not written its pid yet
      }
      if (Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(lockDir, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

const hash = sourceHash();
if (process.argv.includes('--check')) process.exit(fresh(hash) ? 0 : 1);
if (fresh(hash)) {
  console.log('dashboard: the build is fresh');
} else {
  await withLock(async () => {
    // Another process may have built it while this one waited.
    if (fresh(hash)) return console.log('dashboard: built meanwhile by another start');
    execFileSync(command, args, { cwd: root, stdio: 'inherit' });
    writeFileSync(stamp, hash);
  });
}
