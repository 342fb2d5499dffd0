#!/usr/bin/env node
// `pnpm docs`: the API reference of @spool/core, @spool/server and @spool/client, built with
// TypeDoc from every public entry of their `exports` maps (a new entry is documented the day
// it ships) into docs/api/ (generated, not committed). Fails on any warning, such as a
// broken {@link} or a referenced type that no entry exports, and on any exported symbol
// without a doc comment, members of inline object types included (scripts/api-docs-coverage.mjs
// reads TypeDoc's JSON model for that: TypeDoc 0.28's own `notDocumented` check works for one
// entry point, not for several), with no exceptions.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatUndocumented, undocumentedSymbols } from './api-docs-coverage.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PACKAGES = ['core', 'server', 'client'];

// Each entry's source file, and the import specifier users write for it (`@spool/core/protocol`).
const entries = PACKAGES.flatMap((name) => {
  const dir = join(root, 'packages', name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return Object.entries(manifest.exports)
    .filter(([key, target]) => target !== null && key !== './package.json' && !key.includes('*'))
    .map(([key, target]) => ({
      file: join(dir, target['@spool/source']),
      specifier: manifest.name + key.slice(1),
    }));
});
const entryPoints = entries.map((entry) => entry.file);
const specifierOf = new Map(entries.map((entry) => [relative(root, entry.file), entry.specifier]));

const work = mkdtempSync(join(tmpdir(), 'spool-api-docs-'));
try {
  const options = join(work, 'typedoc.json');
  const model = join(work, 'api.json');
  writeFileSync(
    options,
    JSON.stringify({
      name: 'Spool',
      entryPoints,
      tsconfig: join(root, 'tsconfig.api-docs.json'),
      out: join(root, 'docs', 'api'),
      json: model,
      readme: 'none',
      // Source links point at the repository on GitHub, whatever this checkout's remote is.
      // Without git, TypeDoc's `{path}` is relative to `displayBasePath`, else to the entries'
      // common directory (packages/), which would drop `packages/` from every link.
      disableGit: true,
      basePath: root,
      displayBasePath: root,
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
  const undocumented = undocumentedSymbols(
    JSON.parse(readFileSync(model, 'utf8')),
    (module) => specifierOf.get(module.sources?.[0]?.fileName) ?? module.name,
  );
  if (undocumented.length > 0) {
    const n = undocumented.length;
    console.error(`api-docs: ${n} exported symbol${n === 1 ? ' has' : 's have'} no doc comment:`);
    console.error(formatUndocumented(undocumented));
    process.exitCode = 1;
  } else {
    console.log('api-docs: every exported symbol is documented');
  }
} catch {
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
