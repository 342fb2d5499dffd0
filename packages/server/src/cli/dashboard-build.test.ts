import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../../scripts/dashboard-build.mjs', import.meta.url));
let tree: string | undefined;
afterEach(async () => {
  if (tree) await rm(tree, { recursive: true, force: true });
  tree = undefined;
});

/**
 * A scratch tree shaped like the repository's dashboard inputs, and a stand-in build that
 * counts its runs, takes a while (so concurrent starts overlap) and writes dist/index.html.
 */
async function scratch() {
  tree = await mkdtemp(join(tmpdir(), 'spool-dashboard-build-'));
  for (const dir of ['apps/dashboard/src', 'packages/client/src', 'packages/core/src']) {
    await mkdir(join(tree, dir), { recursive: true });
    await writeFile(join(tree, dir, 'index.ts'), `export const where = '${dir}';\n`);
  }
  const build = [
    "const fs = require('node:fs');",
    "fs.appendFileSync('builds', 'built\\n');",
    'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 700);',
    "fs.mkdirSync('apps/dashboard/dist', { recursive: true });",
    "fs.writeFileSync('apps/dashboard/dist/index.html', '<html></html>');",
  ].join('\n');
  const env = {
    ...process.env,
    DASHBOARD_BUILD_ROOT: tree,
    DASHBOARD_BUILD_COMMAND: JSON.stringify([process.execPath, '-e', build]),
  };
  const root = tree;
  return {
    start: () => run(process.execPath, [script], { env }),
    check: () =>
      run(process.execPath, [script, '--check'], { env }).then(
        () => 'fresh',
        () => 'stale',
      ),
    builds: async () =>
      (await readFile(join(root, 'builds'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length,
    edit: (file: string, text: string) => writeFile(join(root, file), text),
  };
}

describe('scripts/dashboard-build.mjs (pnpm start)', () => {
  it('builds once for several starts at once, not at all when fresh, and again after a source changes', async () => {
    const t = await scratch();
    expect(await t.check()).toBe('stale');
    const outputs = await Promise.all([t.start(), t.start(), t.start()]);
    expect(await t.builds()).toBe(1);
    // The others waited for the lock and found it built (or, started late, found it fresh).
    expect(
      outputs.filter((o) => /built meanwhile by another start|the build is fresh/.test(o.stdout)),
    ).toHaveLength(2);
    expect(await t.check()).toBe('fresh');
    expect((await t.start()).stdout).toContain('the build is fresh');
    expect(await t.builds()).toBe(1);
    // A change in the client's sources (the dashboard bundles it) makes the build stale.
    await t.edit('packages/client/src/index.ts', 'export const changed = true;\n');
    expect(await t.check()).toBe('stale');
    await t.start();
    expect(await t.builds()).toBe(2);
  });
});
