#!/usr/bin/env node
// `node scripts/bench-compare.mjs <old-ref> <new-ref> [name...]`: runs the named benchmarks
// (default: every one both commits have) on two commits, alternating old, new, old, new,
// old, new, and compares each row's median ratio to its peer. A row whose median ratio is
// more than 10% worse on the new commit is listed, and the script exits 1
// (docs/benchmarks.md, "Old against new commit"). Each commit runs from a git worktree of
// its own with its own install, so both measure their own code on the same machine
// within the same minutes. `SPOOL_COMPARE_ROUNDS` (default 3) sets the alternations;
// `SPOOL_BENCH_QUICK=1` is passed through for a quick look.
//
// With two cores or more and `taskset`, the benchmark's process runs on core 0 and every
// process it starts on core 1 (`SPOOL_COMPARE_PIN=0` turns that off): on a 2-core machine
// the scheduler otherwise moves server and subscribers between cores, and one round differs
// from the next by more than the change being judged.
//
// `SPOOL_COMPARE_HARNESS=bench/a.ts,bench/b.ts` copies those files of the new commit over
// the old one's before running: a measurement fix in code that calls no Spool API (a
// driver, a subscriber process) then measures both commits alike (docs/benchmarks.md, "Old
// against new commit"). `SPOOL_COMPARE_OLD_PATCH=scripts/bench-compare/x.patch,...` applies
// those patches (`git apply`) to the old commit's worktree: the same measurement change made
// to a benchmark that does call Spool's API, in the old API's words.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const [oldRef, newRef, ...wanted] = process.argv.slice(2);
if (!oldRef || !newRef) {
  console.error('usage: node scripts/bench-compare.mjs <old-ref> <new-ref> [benchmark...]');
  process.exit(2);
}
const rounds = Number(process.env.SPOOL_COMPARE_ROUNDS ?? 3);
const TOLERANCE = 0.1;

// Units where more is better; every other unit (ms, µs, bytes, commands...) is a cost. A
// ratio row (unit `x`) is better higher, unless it measures growth.
const HIGHER_IS_BETTER = new Set([
  'MB/s',
  'appends/cpu-s',
  'events delivered/s',
  'events/s',
  'items/s',
  'msg/s',
  'ops/s',
  'saves/s',
]);

const pin =
  process.env.SPOOL_COMPARE_PIN !== '0' &&
  availableParallelism() >= 2 &&
  spawnSync('taskset', ['-V']).status === 0;

/** The processes `pid` started, and theirs, from /proc (Linux). */
function descendants(pid) {
  const children = [];
  try {
    for (const task of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' '))
      if (task.trim()) children.push(Number(task));
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/**
 * Moves every process `pid` starts onto core 1, all of its threads (`taskset -a`), within
 * 20 ms of its start: a benchmark's helpers connect for longer than that before it
 * measures. Returns the function that stops watching.
 */
function pinDescendants(pid) {
  const pinned = new Set();
  const timer = setInterval(() => {
    for (const child of descendants(pid)) {
      if (pinned.has(child)) continue;
      pinned.add(child);
      spawnSync('taskset', ['-a', '-pc', '1', String(child)], { stdio: 'ignore' });
    }
  }, 20);
  return () => clearInterval(timer);
}

const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
const scratch = mkdtempSync(join(tmpdir(), 'spool-bench-compare-'));

function checkout(ref, label) {
  const sha = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = join(scratch, label);
  git('worktree', 'add', '--detach', '-q', dir, sha);
  console.log(`${label}: ${sha.slice(0, 7)} ${git('log', '-1', '--format=%s', sha)}`);
  execFileSync('pnpm', ['install', '--frozen-lockfile', '--prefer-offline', '--silent'], {
    cwd: dir,
    stdio: 'inherit',
  });
  return { label, sha, dir };
}

function benchNames(dir) {
  const run = execFileSync('git', ['show', 'HEAD:bench/run.ts'], { cwd: dir, encoding: 'utf8' });
  return [...run.matchAll(/^\s+'?([\w-]+)'?: \(\) => import\(/gm)].map((m) => m[1]);
}

// One benchmark in a child process of the commit's own bench folder; the module's
// BenchOutput comes back as the child's last stdout line.
function runOne(side, name) {
  const file = join(side.dir, 'bench', `${name}.ts`);
  const code = `const m = await import(${JSON.stringify(file)}); const out = await m.default(); console.log('\\nBENCH_JSON ' + JSON.stringify(out)); process.exit(0);`;
  return new Promise((done, fail) => {
    const args = [
      '--expose-gc',
      '--import',
      'tsx/esm',
      '--conditions=@spool/source',
      '--input-type=module',
      '-e',
      code,
    ];
    const command = pin ? ['taskset', '-c', '0', process.execPath, ...args] : [process.execPath, ...args];
    const child = spawn(command[0], command.slice(1), {
      cwd: join(side.dir, 'bench'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const unpin = pin ? pinDescendants(child.pid) : () => {};
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', (err) => {
      unpin();
      fail(err);
    });
    child.on('exit', (status) => {
      unpin();
      const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '));
      if (status !== 0 || !line)
        fail(new Error(`${side.label} ${name} exited ${status}:\n${out.slice(-2000)}`));
      else done(JSON.parse(line.slice('BENCH_JSON '.length)));
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

let failed = false;
const sides = [];
function cleanUp() {
  for (const side of sides.splice(0)) git('worktree', 'remove', '--force', side.dir);
  if (existsSync(scratch)) rmSync(scratch, { recursive: true, force: true });
}
// An interrupted comparison leaves no worktree behind.
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
try {
  sides.push(checkout(oldRef, 'old'), checkout(newRef, 'new'));
  for (const file of (process.env.SPOOL_COMPARE_HARNESS ?? '').split(',').filter(Boolean)) {
    copyFileSync(join(sides[1].dir, file), join(sides[0].dir, file));
    console.log(`harness: ${file} of the new commit on both sides`);
  }
  for (const patch of (process.env.SPOOL_COMPARE_OLD_PATCH ?? '').split(',').filter(Boolean)) {
    execFileSync('git', ['apply', resolve(root, patch)], { cwd: sides[0].dir, stdio: 'inherit' });
    console.log(`patched: ${patch} applied to the old commit`);
  }
  console.log(
    pin
      ? 'pinned: each benchmark on core 0, the processes it starts on core 1'
      : 'not pinned (SPOOL_COMPARE_PIN=0, one core, or no taskset)',
  );
  const common = benchNames(sides[0].dir).filter((n) => benchNames(sides[1].dir).includes(n));
  const names = wanted.length > 0 ? wanted : common;
  for (const n of names) if (!common.includes(n)) throw new Error(`benchmark ${n} is not on both commits`);
  const results = [];
  for (const name of names) {
    // ratios[side][table / row] = one ratio per round
    const ratios = { old: new Map(), new: new Map() };
    // values[side][key] = Spool's own figure of the row, one per round
    const values = { old: new Map(), new: new Map() };
    const units = new Map();
    for (let round = 0; round < rounds; round++) {
      for (const side of sides) {
        console.log(`-- ${name}, round ${round + 1}/${rounds}, ${side.label}`);
        const output = await runOne(side, name);
        for (const table of output.tables) {
          // An indented row ("  vs eventsource") belongs to the row above it.
          let parent = '';
          for (const row of table.rows) {
            if (!row.name.startsWith(' ')) parent = row.name;
            if (row.ratio === undefined || !Number.isFinite(row.ratio)) continue;
            // A contrast row compares a strawman with Spool, not Spool with a peer.
            if (row.name.includes('(contrast)')) continue;
            const name = row.name.startsWith(' ') ? `${parent}, ${row.name.trim()}` : row.name;
            const key = `${table.title} / ${name} (vs ${row.peer ?? 'peer'})`;
            units.set(key, row.unit);
            const list = ratios[side.label].get(key) ?? [];
            list.push(row.ratio);
            ratios[side.label].set(key, list);
            const own = values[side.label].get(key) ?? [];
            own.push(row.value);
            values[side.label].set(key, own);
          }
        }
      }
    }
    for (const [key, oldRatios] of ratios.old) {
      const newRatios = ratios.new.get(key);
      if (!newRatios) continue; // a row the new commit renamed or dropped: listed below
      const unit = units.get(key);
      const higher = HIGHER_IS_BETTER.has(unit) || (unit === 'x' && !key.includes('growth'));
      const o = median(oldRatios);
      const n = median(newRatios);
      // How much worse the new median is, as a fraction of the old one.
      const worse = higher ? (o - n) / o : (n - o) / o;
      const ownOld = median(values.old.get(key));
      const ownNew = median(values.new.get(key));
      results.push({
        name,
        key,
        old: o,
        new: n,
        worse,
        higher,
        rounds: { old: oldRatios, new: newRatios },
        // Spool's own figure, old against new: what moved, Spool or its peer.
        own: {
          old: ownOld,
          new: ownNew,
          unit,
          worse: higher ? (ownOld - ownNew) / ownOld : (ownNew - ownOld) / ownOld,
        },
      });
    }
    for (const key of ratios.old.keys())
      if (!ratios.new.has(key)) console.log(`   (row only on the old commit: ${key})`);
  }
  console.log(
    `\nmedian peer ratio over ${rounds} alternating rounds (old ${sides[0].sha.slice(0, 7)}, new ${sides[1].sha.slice(0, 7)})`,
  );
  console.log('| benchmark | row | old | new | change |\n|---|---|---|---|---|');
  for (const r of results) {
    const verdict = r.worse > TOLERANCE ? ' **worse**' : '';
    const change = `${r.worse > 0 ? '-' : '+'}${Math.abs(r.worse * 100).toFixed(1)}%`;
    console.log(
      `| ${r.name} | ${r.key} | ${r.old.toFixed(2)}x | ${r.new.toFixed(2)}x | ${change}${verdict} |`,
    );
    if (r.worse > TOLERANCE) failed = true;
  }
  // The rounds behind each median, and Spool's own figure: a ratio that moved while Spool's
  // figure did not is its peer's noise (docs/benchmarks.md, "Old against new commit").
  console.log("\nper round (ratio old | ratio new) and Spool's own median figure, old → new");
  const fmt = (xs) => xs.map((x) => x.toFixed(2)).join(', ');
  for (const r of results) {
    const own = `${r.own.old.toPrecision(4)} → ${r.own.new.toPrecision(4)} ${r.own.unit} (${r.own.worse > 0 ? '-' : '+'}${Math.abs(r.own.worse * 100).toFixed(1)}%)`;
    console.log(`- ${r.name} | ${r.key}: ${fmt(r.rounds.old)} | ${fmt(r.rounds.new)}; Spool ${own}`);
  }
} finally {
  cleanUp();
}
if (failed) {
  console.error(
    `\nbench-compare: a row's median peer ratio is more than ${TOLERANCE * 100}% worse on the new commit.`,
  );
  process.exitCode = 1;
}
