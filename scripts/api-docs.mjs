#!/usr/bin/env node
// `pnpm docs`: the API reference of @spool/core, @spool/server and @spool/client, built with
// TypeDoc from every public entry of their `exports` maps (a new entry is documented the day
// it ships) into docs/api/ (generated, not committed). Fails on any warning: an exported
// symbol without a doc comment, a broken {@link}, or a referenced type no entry exports.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PACKAGES = ['core', 'server', 'client'];

const entryPoints = PACKAGES.flatMap((name) => {
  const dir = join(root, 'packages', name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return Object.entries(manifest.exports)
    .filter(([key, target]) => target !== null && key !== './package.json' && !key.includes('*'))
    .map(([, target]) => join(dir, target['@spool/source']));
});

const work = mkdtempSync(join(tmpdir(), 'spool-api-docs-'));
try {
  const options = join(work, 'typedoc.json');
  writeFileSync(
    options,
    JSON.stringify({
      name: 'Spool',
      entryPoints,
      tsconfig: join(root, 'tsconfig.api-docs.json'),
      out: join(root, 'docs', 'api'),
      readme: 'none',
      excludePrivate: true,
      excludeInternal: true,
      validation: { notExported: true, invalidLink: true, notDocumented: true },
      treatWarningsAsErrors: true,
    }),
  );
  console.log(`api-docs: ${entryPoints.length} entries`);
  execFileSync('typedoc', ['--options', options], { cwd: root, stdio: 'inherit' });
} finally {
  rmSync(work, { recursive: true, force: true });
}
