/**
 * Writes one benchmark's charts under docs/benchmarks/ and its section of
 * docs/benchmarks.md, touching nothing else: other sections and the hand-written text stay
 * byte for byte. Files are written whole (temporary file, then rename), so a run killed
 * mid-write never leaves a truncated page.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { BenchOutput } from './bench-output';
import { type RunContext, renderSection } from './render-section';
import { BenchReportError } from './report-error';
import { replaceSection, sectionMarkers } from './section-markers';
import { renderChart } from './svg-chart';

export interface ReportPaths {
  /** The markdown page, e.g. docs/benchmarks.md. */
  doc: string;
  /** Where the SVG files go, e.g. docs/benchmarks/. */
  chartsDir: string;
}

async function writeWhole(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
}

/**
 * Renders and writes. Charts are `<name>.<chart id>.svg`; charts of `name` that this run no
 * longer draws are removed, so the folder never keeps a stale picture. Returns the files written.
 * @example
 * await writeReport('fanout', output, ctx, { doc: 'docs/benchmarks.md', chartsDir: 'docs/benchmarks' });
 */
export async function writeReport(
  name: string,
  output: BenchOutput,
  ctx: RunContext,
  paths: ReportPaths,
): Promise<string[]> {
  sectionMarkers(name); // validates the name before anything is written
  const charts = output.charts ?? [];
  // Render everything first: a bad chart must fail before the page or any file changes.
  const svgs = charts.map((c) => ({
    file: join(paths.chartsDir, `${name}.${c.id}.svg`),
    svg: renderChart(c),
  }));
  const ids = new Set<string>();
  for (const c of charts) {
    if (ids.has(c.id)) {
      throw new BenchReportError('BAD_CHART_ID', `Benchmark ${name} draws two charts with the id "${c.id}".`);
    }
    ids.add(c.id);
  }
  const docDir = join(paths.doc, '..');
  const links = svgs.map((s) => relative(docDir, s.file).split('\\').join('/'));
  const section = renderSection(name, output, ctx, links);
  const doc = await readFile(paths.doc, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const next = replaceSection(doc, name, section);

  await mkdir(paths.chartsDir, { recursive: true });
  const written: string[] = [];
  for (const s of svgs) {
    await writeWhole(s.file, s.svg);
    written.push(s.file);
  }
  const keep = new Set(svgs.map((s) => s.file));
  for (const f of await readdir(paths.chartsDir)) {
    const path = join(paths.chartsDir, f);
    if (f.startsWith(`${name}.`) && f.endsWith('.svg') && !keep.has(path)) await rm(path);
  }
  if (next !== doc) await writeWhole(paths.doc, next);
  written.push(paths.doc);
  return written;
}
