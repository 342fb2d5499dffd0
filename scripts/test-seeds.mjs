#!/usr/bin/env node
/**
 * `pnpm test:seeds`: runs every property test (each test file that uses fast-check) under
 * 20 different seeds, one Vitest run per seed with SPOOL_TEST_SEED set (see
 * scripts/vitest-seed.ts), and lists the seeds and tests that failed. Not part of CI: a
 * failure it finds becomes a named regression test.
 *
 *   pnpm test:seeds                      20 random seeds
 *   pnpm test:seeds --count 5            5 random seeds
 *   pnpm test:seeds --seeds 17,42        exactly these (to replay a failure)
 *   pnpm test:seeds -- <path filter>...  only the property test files matching a filter
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function parseArgs(argv) {
  const out = { count: 20, seeds: undefined, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') continue;
    if (a === '--count') out.count = Number(argv[++i]);
    else if (a === '--seeds') out.seeds = argv[++i].split(',').map(Number);
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
      process.exit(0);
    } else out.filters.push(a);
  }
  if (!Number.isSafeInteger(out.count) || out.count < 1)
    throw new Error('--count must be a positive integer');
  if (out.seeds?.some((s) => !Number.isSafeInteger(s)))
    throw new Error('--seeds must be integers, comma-separated');
  return out;
}

/** Test files (tracked or new) that import fast-check. */
function propertyTestFiles(filters) {
  const listed = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  return listed.stdout
    .split('\n')
    .filter((f) => /\.test\.tsx?$/.test(f))
    .filter((f) => /from 'fast-check'/.test(readFileSync(`${root}/${f}`, 'utf8')))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
}

const args = parseArgs(process.argv.slice(2));
const files = propertyTestFiles(args.filters);
if (files.length === 0) {
  console.error('test:seeds: no property test file matches.');
  process.exit(2);
}
// fast-check seeds are 32-bit integers.
const seeds = args.seeds ?? Array.from({ length: args.count }, () => Math.floor(Math.random() * 2 ** 31));
console.log(`test:seeds: ${files.length} property test files, seeds ${seeds.join(', ')}`);

const failures = [];
for (const [i, seed] of seeds.entries()) {
  const run = spawnSync('pnpm', ['exec', 'vitest', 'run', '--reporter=dot', ...files], {
    cwd: root,
    env: { ...process.env, SPOOL_TEST_SEED: String(seed), NO_COLOR: '1', FORCE_COLOR: '0' },
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colours
  const output = `${run.stdout}${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  const failed = [...output.matchAll(/^ FAIL {2}(.+)$/gm)].map((m) => m[1].trim());
  const summary = /Tests\s+(.+)$/m.exec(output)?.[1]?.trim() ?? 'no summary';
  console.log(`[${i + 1}/${seeds.length}] seed ${seed}: ${run.status === 0 ? 'ok' : 'FAILED'} (${summary})`);
  if (run.status !== 0) {
    failures.push({ seed, failed: [...new Set(failed)] });
    for (const f of new Set(failed)) console.log(`    ${f}`);
  }
}

if (failures.length === 0) {
  console.log(`test:seeds: every property held under ${seeds.length} seeds.`);
} else {
  console.log(`test:seeds: ${failures.length} of ${seeds.length} seeds failed. Replay one with:`);
  for (const { seed } of failures)
    console.log(`  SPOOL_TEST_SEED=${seed} pnpm exec vitest run ${files.join(' ')}`);
  process.exitCode = 1;
}
