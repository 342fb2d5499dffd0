import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BenchOutput } from './bench-output';
import type { RunContext } from './render-section';
import { BenchReportError } from './report-error';
import { writeReport } from './write-report';

const ctx: RunContext = {
  command: 'pnpm bench resume',
  date: new Date('2026-01-02T03:04:05Z'),
  machine: {
    cores: 2,
    cpuModel: 'cpu',
    memoryBytes: 2 ** 30,
    node: 'v20.20.2',
    platform: 'linux x64',
    loadAverage: 0,
  },
  quick: false,
};
const line = (id: string, y: number) => ({
  kind: 'line' as const,
  id,
  title: `chart ${id}`,
  xLabel: 'log size',
  yLabel: 'ms',
  xScale: 'log' as const,
  series: [
    {
      name: 'Spool',
      points: [
        { x: 1000, y },
        { x: 1_000_000, y: y * 2 },
      ],
    },
  ],
});
const output = (y: number, ids = ['latency']): BenchOutput => ({
  tables: [{ title: 'resume', rows: [{ name: 'Spool', value: y, unit: 'ms' }] }],
  charts: ids.map((id) => line(id, y)),
});

let dir: string;
let paths: { doc: string; chartsDir: string };
const HAND =
  '# Benchmarks\n\nHand-written notes.\n\n<!-- bench:resume:start -->\nold\n<!-- bench:resume:end -->\n\nTail notes.\n';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spool-bench-report-'));
  paths = { doc: join(dir, 'benchmarks.md'), chartsDir: join(dir, 'benchmarks') };
  await writeFile(paths.doc, HAND);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeReport', () => {
  it('writes the charts and its own section, linking the charts relative to the page', async () => {
    await writeReport('resume', output(1.5), ctx, paths);
    const doc = await readFile(paths.doc, 'utf8');
    expect(doc.startsWith('# Benchmarks\n\nHand-written notes.\n\n<!-- bench:resume:start -->\n')).toBe(true);
    expect(doc.endsWith('<!-- bench:resume:end -->\n\nTail notes.\n')).toBe(true);
    expect(doc).toContain('![chart latency](benchmarks/resume.latency.svg)');
    expect(doc).toContain('| Spool | 1.50 | ms |');
    const svg = await readFile(join(paths.chartsDir, 'resume.latency.svg'), 'utf8');
    expect(svg).toContain('data-y="3"');
  });

  it('gives byte-identical files when run twice on the same figures', async () => {
    await writeReport('resume', output(2), ctx, paths);
    const first = await readFile(paths.doc, 'utf8');
    const svg = await readFile(join(paths.chartsDir, 'resume.latency.svg'), 'utf8');
    await writeReport('resume', output(2), ctx, paths);
    expect(await readFile(paths.doc, 'utf8')).toBe(first);
    expect(await readFile(join(paths.chartsDir, 'resume.latency.svg'), 'utf8')).toBe(svg);
  });

  it("removes its own charts that a run no longer draws, never another benchmark's", async () => {
    await writeReport('resume', output(2, ['latency', 'old']), ctx, paths);
    await writeFile(join(paths.chartsDir, 'resume-extra.x.svg'), '<svg/>'); // another benchmark's name
    await writeReport('resume', output(2, ['latency']), ctx, paths);
    expect((await readdir(paths.chartsDir)).sort()).toEqual(['resume-extra.x.svg', 'resume.latency.svg']);
  });

  it('changes nothing when a chart cannot be drawn', async () => {
    const bad: BenchOutput = {
      ...output(1),
      charts: [{ ...line('latency', 1), yScale: 'log', series: [{ name: 'a', points: [{ x: 1, y: 0 }] }] }],
    };
    await expect(writeReport('resume', bad, ctx, paths)).rejects.toBeInstanceOf(BenchReportError);
    expect(await readFile(paths.doc, 'utf8')).toBe(HAND);
    await expect(readdir(paths.chartsDir)).rejects.toThrow(/ENOENT/);
  });

  it('leaves the page as it was when its markers are broken', async () => {
    const broken = `${HAND}<!-- bench:resume:start -->\n`;
    await writeFile(paths.doc, broken);
    await expect(writeReport('resume', output(1), ctx, paths)).rejects.toMatchObject({
      code: 'UNBALANCED_MARKERS',
    });
    expect(await readFile(paths.doc, 'utf8')).toBe(broken);
  });
});
