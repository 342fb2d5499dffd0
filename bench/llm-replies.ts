/**
 * The LLM-reply workload against vercel/resumable-stream on real Redis: 200 concurrent
 * replies of 2,000 tokens (100 tokens/s each), every client cut at a random token, offline
 * for 0.1–1.5 s, then resuming. Each subject runs the same seeded cut plan in a process of its
 * own (bench/llm-workload.ts). Reported per subject, medians over rounds unless said:
 * - resume latency p50 and p99 over every round's resumes pooled: from the resume request
 *   until the client holds every token the producer had written when the request began;
 * - bytes on the wire per resume (TCP payload read on the resume connection until caught up)
 *   and per reply (all connections, to the end);
 * - Redis commands per token: the delta of `INFO commandstats` over the round (all commands but
 *   INFO), next to the count the subject's own clients sent;
 * - resumes refused, and replies whose final text differs from the model's.
 *
 * Spool runs twice: with memory topics (one process, no Redis) and with its topics on Redis
 * Streams, as every instance of a cluster runs them, the like-for-like comparison with
 * resumable-stream, which keeps its streams in Redis too. Another system is one more
 * {@link LlmSubject} and one more entry in SUBJECTS.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ask, forkBench } from './child';
import { type BenchOutput, median, percentile, pick, QUICK, type Row, report } from './harness';
import type { LlmSubject } from './llm-subject';
import type { RoundResult, SubjectName, WorkloadShape } from './llm-workload';
import type { BarChartSpec } from './report/chart-spec';

const REDIS_URL = process.env['SPOOL_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SHAPE: WorkloadShape = pick(
  { replies: 200, tokens: 2000, tokenMs: 10, minOfflineMs: 100, maxOfflineMs: 1500, staggerMs: 1000 },
  { replies: 40, tokens: 300, tokenMs: 10, minOfflineMs: 100, maxOfflineMs: 1000, staggerMs: 400 },
);
const ROUNDS = pick(5, 2);
const SUBJECTS: Record<SubjectName, string> = {
  'spool-memory': 'Spool (memory topics)',
  'spool-redis': 'Spool (Redis topics)',
  'resumable-stream': 'resumable-stream (Redis pub/sub)',
};
/** Spool's subjects, each compared with the peer. */
const SPOOLS = ['spool-memory', 'spool-redis'] as const;
const prefix = `spool-bench:${randomUUID()}:`;

/** Calls per command from `INFO commandstats`. */
async function commandCalls(admin: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of (await admin.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

function delta(before: Map<string, number>, after: Map<string, number>): number {
  let n = 0;
  for (const [cmd, calls] of after) if (cmd !== 'info') n += calls - (before.get(cmd) ?? 0);
  return n;
}

interface Summary {
  p50: number;
  p99: number;
  resumeBytes: number;
  replyBytes: number;
  serverCommandsPerToken: number;
  clientCommandsPerToken: number;
  resumes: number;
  refused: number;
  refusedReasons: string[];
  resets: number;
  wrongText: number;
  errors: string[];
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

function summarise(rounds: Array<{ result: RoundResult; serverCommands: number }>): Summary {
  const per = (f: (r: RoundResult, serverCommands: number) => number) =>
    median(rounds.map(({ result, serverCommands }) => f(result, serverCommands)));
  const all = rounds.map((r) => r.result);
  // Latency over every round's resumes pooled: a round has 200, so its own p99 is its
  // second-worst resume, and a median of those moved by half from one run to the next.
  const latencies = rounds.flatMap(({ result }) => result.latencies);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    resumeBytes: per((r) => mean(r.resumeBytes)),
    replyBytes: per((r) => mean(r.replyBytes)),
    serverCommandsPerToken: per((r, server) => server / r.tokens),
    clientCommandsPerToken: per((r) => r.redisCommands / r.tokens),
    resumes: all.reduce((a, r) => a + r.resumes, 0),
    refused: all.reduce((a, r) => a + r.refused, 0),
    refusedReasons: [...new Set(all.flatMap((r) => r.refusedReasons))],
    resets: all.reduce((a, r) => a + r.resets, 0),
    wrongText: all.reduce((a, r) => a + r.wrongText, 0),
    errors: all.flatMap((r) => r.errors),
  };
}

export default async function run(): Promise<BenchOutput> {
  const admin = new Redis(REDIS_URL);
  await admin.ping();
  const names = Object.keys(SUBJECTS) as SubjectName[];
  const children = Object.fromEntries(
    names.map((name) => [
      name,
      forkBench(new URL('./llm-workload.ts', import.meta.url), [
        name,
        REDIS_URL,
        prefix,
        JSON.stringify(SHAPE),
      ]),
    ]),
  ) as Record<SubjectName, ReturnType<typeof forkBench>>;
  const rounds = Object.fromEntries(names.map((n) => [n, []])) as unknown as Record<
    SubjectName,
    Array<{ result: RoundResult; serverCommands: number }>
  >;
  try {
    await Promise.all(names.map((n) => new Promise((resolve) => children[n].once('message', resolve))));
    for (let r = 0; r < ROUNDS; r++) {
      // Subjects take turns going first; all get the same seed, so the same cut plan.
      for (const name of [...names.slice(r % names.length), ...names.slice(0, r % names.length)]) {
        const before = await commandCalls(admin);
        const result = await ask<RoundResult>(children[name], { cmd: 'round', seed: 1000 + r, round: r });
        const serverCommands = delta(before, await commandCalls(admin));
        rounds[name].push({ result, serverCommands });
        process.stderr.write(`  llm-replies: ${name} round ${r + 1}/${ROUNDS} done\n`);
      }
    }
  } finally {
    for (const name of names) {
      const child = children[name];
      if (child.exitCode === null) await ask(child, { cmd: 'close' }).catch(() => child.kill());
    }
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
    await admin.quit();
  }

  const s = Object.fromEntries(names.map((n) => [n, summarise(rounds[n])])) as Record<SubjectName, Summary>;
  const peer = s['resumable-stream'];
  const rows: Row[] = [];
  const vs = (name: string, unit: string, f: (x: Summary) => number) => {
    rows.push({ name: `${SUBJECTS['resumable-stream']}: ${name}`, value: f(peer), unit });
    for (const spool of SPOOLS)
      rows.push({
        name: `${SUBJECTS[spool]}: ${name}`,
        value: f(s[spool]),
        unit,
        peer: 'resumable-stream',
        ratio: f(s[spool]) / f(peer),
      });
  };
  vs('resume latency p50', 'ms', (x) => x.p50);
  vs('resume latency p99', 'ms', (x) => x.p99);
  vs('bytes on the wire per resume', 'B', (x) => x.resumeBytes);
  vs('bytes on the wire per reply', 'B', (x) => x.replyBytes);
  for (const name of names) {
    const x = s[name];
    rows.push(
      {
        name: `${SUBJECTS[name]}: Redis commands per token (INFO commandstats)`,
        value: x.serverCommandsPerToken,
        unit: 'cmd/token',
      },
      {
        name: `${SUBJECTS[name]}: Redis commands per token (its own clients)`,
        value: x.clientCommandsPerToken,
        unit: 'cmd/token',
      },
      { name: `${SUBJECTS[name]}: resumes refused`, value: x.refused, unit: `of ${x.resumes}` },
      { name: `${SUBJECTS[name]}: replies with a wrong final text`, value: x.wrongText, unit: 'replies' },
    );
    if (x.resets > 0)
      rows.push({ name: `${SUBJECTS[name]}: resets signalled`, value: x.resets, unit: 'resets' });
    if (x.errors.length > 0)
      rows.push({ name: `${SUBJECTS[name]}: client errors`, value: x.errors.length, unit: 'errors' });
  }
  const table = report(
    `LLM replies: ${SHAPE.replies} concurrent × ${SHAPE.tokens.toLocaleString('en-US')} tokens at ${1000 / SHAPE.tokenMs} tokens/s, every client cut once and resumed (median of ${ROUNDS} rounds)`,
    rows,
  );
  const notes: string[] = [];
  for (const name of names) {
    const x = s[name];
    if (x.refused > 0)
      notes.push(
        `${SUBJECTS[name]} refused ${x.refused} of ${x.resumes} resumes: ${x.refusedReasons.join('; ')}.`,
      );
    if (x.errors.length > 0)
      notes.push(`${SUBJECTS[name]} client errors (first 3): ${x.errors.slice(0, 3).join('; ')}.`);
    if (x.wrongText > 0)
      notes.push(`${SUBJECTS[name]}: ${x.wrongText} replies ended with a text other than the model's.`);
  }
  const gap = (x: Summary) => Math.abs(x.serverCommandsPerToken - x.clientCommandsPerToken);
  const withRedis = names.filter((n) => n !== 'spool-memory');
  if (
    withRedis.some((n) => gap(s[n]) > 0.05 * Math.max(s[n].clientCommandsPerToken, 0.01)) ||
    s['spool-memory'].serverCommandsPerToken > 0.01
  ) {
    notes.push(
      `The Redis server is shared: INFO commandstats counts every client's commands, so the per-token figures from it include other work on ${REDIS_URL} during the rounds (Spool with memory topics sends none). The count from each subject's own clients is exact; point SPOOL_BENCH_REDIS_URL at a private Redis for clean server-side figures.`,
    );
  }
  console.log(notes.map((n) => `  note: ${n}`).join('\n'));
  const quick = QUICK ? ' · quick mode, provisional' : '';
  const order: SubjectName[] = ['spool-memory', 'spool-redis', 'resumable-stream'];
  const latency: BarChartSpec = {
    kind: 'bar',
    id: 'resume-latency',
    title: 'LLM replies: resume latency until caught up',
    subtitle: `${SHAPE.replies} concurrent replies × ${SHAPE.tokens} tokens, median of ${ROUNDS} rounds${quick}`,
    yLabel: 'ms',
    categories: ['p50', 'p99'],
    series: order.map((n) => ({ name: SUBJECTS[n], values: [s[n].p50, s[n].p99] })),
  };
  const bytes: BarChartSpec = {
    kind: 'bar',
    id: 'bytes',
    title: 'LLM replies: bytes on the wire',
    subtitle: `per resume (until caught up) and per reply (all connections)${quick}`,
    yLabel: 'bytes',
    categories: ['per resume', 'per reply'],
    series: order.map((n) => ({ name: SUBJECTS[n], values: [s[n].resumeBytes, s[n].replyBytes] })),
  };
  return { tables: [table], charts: [latency, bytes], notes };
}

export type { LlmSubject };
