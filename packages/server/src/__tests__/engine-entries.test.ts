import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The main entry loads no driver (docs/architecture.md, "Engines as entries"): following
 * every static import from `src/index.ts` (type-only imports and dynamic `import()` left
 * out, as the bundle leaves them out) never reaches `ioredis`, `pg` or PGlite. Each engine
 * entry does reach its own driver, so the walk is known to see them.
 */

const src = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DRIVERS = ['ioredis', 'pg', '@electric-sql/pglite'];
// `import x from 'y'`, `import { a } from 'y'`, `export { a } from 'y'`, `export * from 'y'`,
// `import 'y'`; not `import type` / `export type`, whose imports vanish from the build.
const STATIC = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

function resolveLocal(from: string, spec: string): string {
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    try {
      readFileSync(candidate);
      return candidate;
    } catch {}
  }
  throw new Error(`cannot resolve ${spec} from ${from}`);
}

/** The bare package names reached by static imports from `entry`, with one path to each. */
function packagesReached(entry: string): Map<string, string[]> {
  const reached = new Map<string, string[]>();
  const seen = new Set<string>();
  const walk = (file: string, path: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(STATIC)) {
      const spec = match[1]!;
      if (spec.startsWith('.')) walk(resolveLocal(file, spec), [...path, spec]);
      else {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!reached.has(name)) reached.set(name, [...path, spec]);
      }
    }
  };
  walk(join(src, entry), [entry]);
  return reached;
}

describe('engine entries', () => {
  it('the main entry reaches no driver through static imports', () => {
    const reached = packagesReached('index.ts');
    const drivers = DRIVERS.filter((d) => reached.has(d)).map((d) => reached.get(d)!.join(' → '));
    expect(drivers).toEqual([]);
    expect(reached.has('@spool/core')).toBe(true);
  });

  it.each([
    ['redis/index.ts', 'ioredis'],
    ['postgres/index.ts', 'pg'],
    ['postgres/pglite.ts', '@electric-sql/pglite'],
  ])('%s reaches its driver %s', (entry, driver) => {
    expect(packagesReached(entry).has(driver)).toBe(true);
  });
});
