/**
 * `pnpm bench [name...]`: runs the benchmarks in bench/ one after another and prints
 * their figures with the ratio to a peer measured in the same run.
 * Each module exports `default async function run()`.
 */
const all: Record<string, () => Promise<{ default: () => Promise<unknown> }>> = {
  cache: () => import('./cache'),
  'sse-parser': () => import('./sse-parser'),
  topic: () => import('./topic'),
  pipeline: () => import('./pipeline'),
  broker: () => import('./broker'),
  fanout: () => import('./fanout'),
  'idle-connections': () => import('./idle-connections'),
  store: () => import('./store'),
  size: () => import('./size'),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !(n in all));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(all).join(', ')}`);
  process.exit(2);
}
const names = Object.keys(all).filter((n) => wanted.length === 0 || wanted.includes(n));
console.log(`node ${process.version}, ${names.length} benchmark(s): ${names.join(', ')}`);
for (const name of names) {
  const mod = await all[name]!();
  await mod.default();
}

export {};
