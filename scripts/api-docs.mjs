#!/usr/bin/env node
// `pnpm docs`: the API reference of @spool/core, @spool/server and @spool/client, built with
// TypeDoc from every public entry of their `exports` maps (a new entry is documented the day
// it ships) into docs/api/ (generated, not committed). Fails on any warning, such as a
// broken {@link} or a referenced type that no entry exports. Symbols without a doc comment
// are not yet checked here: TypeDoc 0.28 reports them for one entry point, not for eleven.
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
      // Source links point at the repository on GitHub, whatever this checkout's remote is.
      disableGit: true,
      basePath: root,
      sourceLinkTemplate: 'https://github.com/spool-dev/spool/blob/main/{path}#L{line}',
      excludePrivate: true,
      excludeInternal: true,
      validation: { notExported: true, invalidLink: true },
      treatWarningsAsErrors: true,
    }),
  );
  console.log(`api-docs: ${entryPoints.length} entries`);
  execFileSync('typedoc', ['--options', options], { cwd: root, stdio: 'inherit' });
  console.log('api-docs: written to docs/api/index.html');
} catch {
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
