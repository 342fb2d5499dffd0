/**
 * SVG charts drawn straight from benchmark data: line charts (a figure against a size, on a
 * linear or log axis) and grouped bar charts. No chart library: the output is small, stable
 * text that diffs well in git, and every point carries its exact value (`data-x`, `data-y`
 * and a `<title>` tooltip), so a reader and the tests can check the chart against the table.
 */
import type { BarChartSpec, ChartSpec, LineChartSpec } from './chart-spec';
import { BenchReportError } from './report-error';

const WIDTH = 760;
const PLOT = { left: 90, right: 30, top: 70, height: 300 };
const PALETTE = ['#e8590c', '#1c7ed6', '#2f9e44', '#7048e8', '#868e96', '#c2255c', '#0c8599', '#f08c00'];
const FONT = 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif';
const ID = /^[a-z0-9][a-z0-9-]*$/;

/** XML text and attribute escaping (https://www.w3.org/TR/xml/#syntax). */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Short tick labels: 1k, 2.5M, 0.5. */
export function compact(n: number): string {
  const a = Math.abs(n);
  const short = (v: number) => String(Number(v.toPrecision(3)));
  if (a >= 1e9) return `${short(n / 1e9)}G`;
  if (a >= 1e6) return `${short(n / 1e6)}M`;
  if (a >= 1e3) return `${short(n / 1e3)}k`;
  return short(n);
}

const num = (v: number) => (Math.round(v * 10) / 10).toString();

interface Axis {
  ticks: number[];
  /** Maps a data value to a fraction 0..1 along the axis. */
  frac(v: number): number;
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function linearAxis(values: number[], fromZero: boolean): Axis {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (fromZero) lo = Math.min(0, lo);
  if (hi === lo) hi = lo === 0 ? 1 : lo + Math.abs(lo);
  const step = niceStep((hi - lo) / 5);
  const min = Math.floor(lo / step) * step;
  const max = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = min; t <= max + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { ticks, frac: (v) => (v - min) / (max - min) };
}

function logAxis(values: number[], what: string): Axis {
  if (values.some((v) => !(v > 0))) {
    throw new BenchReportError('BAD_CHART', `${what}: a log axis needs values above 0.`);
  }
  let lo = Math.floor(Math.log10(Math.min(...values)));
  let hi = Math.ceil(Math.log10(Math.max(...values)));
  if (hi === lo) hi = lo + 1;
  if (hi - lo > 12) lo = hi - 12;
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    ticks.push(10 ** e);
    if (hi - lo <= 2 && e < hi) ticks.push(2 * 10 ** e, 5 * 10 ** e);
  }
  ticks.sort((a, b) => a - b);
  return { ticks, frac: (v) => (Math.log10(v) - lo) / (hi - lo) };
}

/** An x axis whose ticks are the data's own x values when there are few of them. */
function xAxis(xs: number[], scale: 'linear' | 'log', what: string): Axis {
  const distinct = [...new Set(xs)].sort((a, b) => a - b);
  const base = scale === 'log' ? logAxis(distinct, what) : linearAxis(distinct, false);
  if (distinct.length > 12 || distinct.length < 2) return base;
  if (scale === 'log') {
    const lo = Math.log10(distinct[0]!);
    const hi = Math.log10(distinct.at(-1)!);
    return { ticks: distinct, frac: (v) => (Math.log10(v) - lo) / (hi - lo) };
  }
  const lo = distinct[0]!;
  const hi = distinct.at(-1)!;
  return { ticks: distinct, frac: (v) => (v - lo) / (hi - lo) };
}

function checkId(spec: ChartSpec): void {
  if (!ID.test(spec.id)) {
    throw new BenchReportError(
      'BAD_CHART_ID',
      `Chart id must be lowercase letters, digits and dashes, got ${JSON.stringify(spec.id)}.`,
    );
  }
}

function header(spec: ChartSpec, height: number, desc: string): string[] {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="chart-title chart-desc" font-family="${FONT}" font-size="12">`,
    `<title id="chart-title">${escapeXml(spec.title)}</title>`,
    `<desc id="chart-desc">${escapeXml(desc)}</desc>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="26" text-anchor="middle" font-size="16" font-weight="600">${escapeXml(spec.title)}</text>`,
  ];
  if (spec.subtitle) {
    out.push(
      `<text x="${WIDTH / 2}" y="46" text-anchor="middle" fill="#555555">${escapeXml(spec.subtitle)}</text>`,
    );
  }
  return out;
}

/** Legend below the plot, one row per series; returns the lines and the height used. */
function legend(names: readonly string[], top: number): { lines: string[]; height: number } {
  const lines = names.map((name, i) => {
    const y = top + i * 18;
    const color = PALETTE[i % PALETTE.length]!;
    return `<g class="legend"><rect x="${PLOT.left}" y="${y - 9}" width="14" height="10" fill="${color}"/><text x="${PLOT.left + 20}" y="${y}">${escapeXml(name)}</text></g>`;
  });
  return { lines, height: names.length * 18 };
}

function notes(missing: string[], top: number): { lines: string[]; height: number } {
  const lines = missing.map(
    (m, i) =>
      `<text class="missing" x="${PLOT.left}" y="${top + i * 16}" fill="#c92a2a">no data: ${escapeXml(m)}</text>`,
  );
  return { lines, height: missing.length * 16 };
}

function gridY(axis: Axis, plotWidth: number, unitLabel: string): string[] {
  const out: string[] = [];
  const bottom = PLOT.top + PLOT.height;
  for (const t of axis.ticks) {
    const y = bottom - axis.frac(t) * PLOT.height;
    out.push(
      `<line x1="${PLOT.left}" x2="${PLOT.left + plotWidth}" y1="${num(y)}" y2="${num(y)}" stroke="#e9ecef"/>`,
      `<text x="${PLOT.left - 8}" y="${num(y + 4)}" text-anchor="end" fill="#333333">${escapeXml(compact(t))}</text>`,
    );
  }
  out.push(
    `<text transform="translate(20 ${PLOT.top + PLOT.height / 2}) rotate(-90)" text-anchor="middle" fill="#333333">${escapeXml(unitLabel)}</text>`,
  );
  return out;
}

/**
 * Renders a line chart: one polyline per series (broken at missing points), a marker per
 * point carrying its exact value, the data's x values as x ticks when there are few.
 * @throws BenchReportError `BAD_CHART` (no series, or a log axis with a value ≤ 0), `BAD_CHART_ID`
 * @example
 * lineChart({ kind: 'line', id: 'throughput', title: 'Fan-out', xLabel: 'subscribers', yLabel: 'events/s',
 *   xScale: 'log', series: [{ name: 'Spool', points: [{ x: 100, y: 6e5 }, { x: 1000, y: 5.9e5 }] }] });
 */
export function lineChart(spec: LineChartSpec): string {
  checkId(spec);
  const all = spec.series.flatMap((s) => s.points);
  const finite = all.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (spec.series.length === 0 || finite.length === 0) {
    throw new BenchReportError('BAD_CHART', `Chart "${spec.id}" has no finite data point.`);
  }
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const x = xAxis(
    finite.map((p) => p.x),
    spec.xScale ?? 'linear',
    `chart "${spec.id}" x`,
  );
  const ys = finite.map((p) => p.y);
  const y = spec.yScale === 'log' ? logAxis(ys, `chart "${spec.id}" y`) : linearAxis(ys, true);
  const bottom = PLOT.top + PLOT.height;
  const px = (v: number) => PLOT.left + x.frac(v) * plotWidth;
  const py = (v: number) => bottom - y.frac(v) * PLOT.height;

  const body: string[] = gridY(y, plotWidth, spec.yLabel);
  for (const t of x.ticks) {
    body.push(
      `<line x1="${num(px(t))}" x2="${num(px(t))}" y1="${bottom}" y2="${bottom + 5}" stroke="#333333"/>`,
      `<text x="${num(px(t))}" y="${bottom + 18}" text-anchor="middle" fill="#333333">${escapeXml(compact(t))}</text>`,
    );
  }
  body.push(
    `<line x1="${PLOT.left}" x2="${PLOT.left + plotWidth}" y1="${bottom}" y2="${bottom}" stroke="#333333"/>`,
    `<line x1="${PLOT.left}" x2="${PLOT.left}" y1="${PLOT.top}" y2="${bottom}" stroke="#333333"/>`,
    `<text x="${PLOT.left + plotWidth / 2}" y="${bottom + 38}" text-anchor="middle" fill="#333333">${escapeXml(spec.xLabel)}</text>`,
  );
  const missing: string[] = [];
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) {
        body.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${run.join(' ')}"/>`);
      }
      run = [];
    };
    const markers: string[] = [];
    for (const p of sorted) {
      if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
        missing.push(`${s.name} at x = ${p.x}`);
        flush();
        continue;
      }
      run.push(`${num(px(p.x))},${num(py(p.y))}`);
      markers.push(
        `<circle class="point" cx="${num(px(p.x))}" cy="${num(py(p.y))}" r="3.5" fill="${color}" data-series="${escapeXml(s.name)}" data-x="${p.x}" data-y="${p.y}"><title>${escapeXml(`${s.name}: ${compact(p.x)} → ${compact(p.y)}`)}</title></circle>`,
      );
    }
    flush();
    body.push(`<g class="series" data-series="${escapeXml(s.name)}">`, ...markers, '</g>');
  });
  const lg = legend(
    spec.series.map((s) => s.name),
    bottom + 64,
  );
  const nt = notes(missing, bottom + 64 + lg.height + 8);
  const height = bottom + 64 + lg.height + nt.height + 12;
  const desc = spec.series
    .map((s) => `${s.name}: ${s.points.map((p) => `${p.x} → ${p.y}`).join(', ')}`)
    .join('; ');
  return [...header(spec, height, desc), ...body, ...lg.lines, ...nt.lines, '</svg>', ''].join('\n');
}

/**
 * Renders grouped bars from 0, a value label over each bar, one group per category.
 * @throws BenchReportError `BAD_CHART` (no data, a negative value, or values not matching the categories), `BAD_CHART_ID`
 * @example
 * barChart({ kind: 'bar', id: 'size', title: 'Bundle size', yLabel: 'bytes', categories: ['min+gzip'],
 *   series: [{ name: '@spool/client', values: [4952] }, { name: 'socket.io-client', values: [13111] }] });
 */
export function barChart(spec: BarChartSpec): string {
  checkId(spec);
  for (const s of spec.series) {
    if (s.values.length !== spec.categories.length) {
      throw new BenchReportError(
        'BAD_CHART',
        `Chart "${spec.id}": series "${s.name}" has ${s.values.length} values for ${spec.categories.length} categories.`,
      );
    }
  }
  const finite = spec.series.flatMap((s) => s.values).filter(Number.isFinite);
  if (spec.categories.length === 0 || spec.series.length === 0 || finite.length === 0) {
    throw new BenchReportError('BAD_CHART', `Chart "${spec.id}" has no finite value.`);
  }
  if (finite.some((v) => v < 0)) {
    throw new BenchReportError('BAD_CHART', `Chart "${spec.id}": bars start at 0 and cannot be negative.`);
  }
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const y = linearAxis(finite, true);
  const bottom = PLOT.top + PLOT.height;
  const body: string[] = gridY(y, plotWidth, spec.yLabel);
  const group = plotWidth / spec.categories.length;
  const bar = (group * 0.8) / spec.series.length;
  const missing: string[] = [];
  // Labels wider than their group are slanted, and the legend moves down to make room.
  const longest = Math.max(...spec.categories.map((c) => c.length));
  const slant = longest * 6.5 > group;
  const labelDepth = slant ? Math.ceil(longest * 6.5 * 0.5) + 10 : 0;
  spec.categories.forEach((c, ci) => {
    const x0 = PLOT.left + ci * group + group * 0.1;
    const lx = num(PLOT.left + ci * group + group / 2);
    body.push(
      slant
        ? `<text x="${lx}" y="${bottom + 16}" text-anchor="end" transform="rotate(-30 ${lx} ${bottom + 16})" fill="#333333">${escapeXml(c)}</text>`
        : `<text x="${lx}" y="${bottom + 18}" text-anchor="middle" fill="#333333">${escapeXml(c)}</text>`,
    );
    spec.series.forEach((s, si) => {
      const v = s.values[ci]!;
      if (!Number.isFinite(v)) {
        missing.push(`${s.name} for ${c}`);
        return;
      }
      const h = y.frac(v) * PLOT.height - y.frac(0) * PLOT.height;
      const bx = x0 + si * bar;
      const by = bottom - y.frac(0) * PLOT.height - h;
      body.push(
        `<rect class="bar" x="${num(bx)}" y="${num(by)}" width="${num(bar - 2)}" height="${num(h)}" fill="${PALETTE[si % PALETTE.length]}" data-series="${escapeXml(s.name)}" data-category="${escapeXml(c)}" data-value="${v}"><title>${escapeXml(`${s.name}, ${c}: ${v}`)}</title></rect>`,
        `<text x="${num(bx + (bar - 2) / 2)}" y="${num(by - 4)}" text-anchor="middle" font-size="10" fill="#333333">${escapeXml(compact(v))}</text>`,
      );
    });
  });
  body.push(
    `<line x1="${PLOT.left}" x2="${PLOT.left + plotWidth}" y1="${bottom}" y2="${bottom}" stroke="#333333"/>`,
  );
  const legendTop = bottom + 44 + labelDepth;
  const lg = legend(
    spec.series.map((s) => s.name),
    legendTop,
  );
  const nt = notes(missing, legendTop + lg.height + 8);
  const height = legendTop + lg.height + nt.height + 12;
  const desc = spec.series
    .map((s) => `${s.name}: ${s.values.map((v, i) => `${spec.categories[i]} = ${v}`).join(', ')}`)
    .join('; ');
  return [...header(spec, height, desc), ...body, ...lg.lines, ...nt.lines, '</svg>', ''].join('\n');
}

/** Renders either kind. */
export function renderChart(spec: ChartSpec): string {
  return spec.kind === 'line' ? lineChart(spec) : barChart(spec);
}
