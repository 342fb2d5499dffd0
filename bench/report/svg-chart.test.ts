// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import type { LineChartSpec } from './chart-spec';
import { BenchReportError } from './report-error';
import { barChart, compact, lineChart } from './svg-chart';

/** Parses as XML (jsdom's strict parser) and fails on anything not well-formed. */
function parseSvg(text: string): Document {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const error = doc.getElementsByTagName('parsererror')[0];
  if (error) throw new Error(`not well-formed XML: ${error.textContent}`);
  return doc;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof BenchReportError ? err.code : `not a BenchReportError: ${String(err)}`;
  }
  return undefined;
}

const fanout: LineChartSpec = {
  kind: 'line',
  id: 'throughput',
  title: 'Fan-out <throughput> & "ratios"',
  subtitle: "quick mode: 'provisional'",
  xLabel: 'subscribers',
  yLabel: 'events delivered/s',
  xScale: 'log',
  series: [
    {
      name: 'Spool',
      points: [
        { x: 100, y: 660_826 },
        { x: 1000, y: 596_783 },
        { x: 5000, y: 512_345.5 },
      ],
    },
    {
      name: 'socket.io <room> & co',
      points: [
        { x: 100, y: 110_995 },
        { x: 1000, y: 93_952 },
        { x: 5000, y: 70_001 },
      ],
    },
  ],
};

describe('lineChart', () => {
  it('the well-formedness check itself rejects broken XML', () => {
    expect(() => parseSvg('<svg xmlns="http://www.w3.org/2000/svg"><text>a & b</text></svg>')).toThrow(
      /well-formed/,
    );
  });

  it('produces well-formed SVG with one marker per data point, carrying its exact value', () => {
    const doc = parseSvg(lineChart(fanout));
    const root = doc.documentElement;
    expect(root.nodeName).toBe('svg');
    expect(root.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
    const points = [...doc.getElementsByTagName('circle')].map((c) => ({
      series: c.getAttribute('data-series'),
      x: Number(c.getAttribute('data-x')),
      y: Number(c.getAttribute('data-y')),
    }));
    const expected = fanout.series.flatMap((s) => s.points.map((p) => ({ series: s.name, ...p })));
    expect(points).toEqual(expected);
    expect(doc.getElementsByTagName('polyline')).toHaveLength(2);
  });

  it('escapes titles and series names, and keeps them readable', () => {
    const doc = parseSvg(lineChart(fanout));
    expect(doc.getElementsByTagName('title')[0]!.textContent).toBe(fanout.title);
    const texts = [...doc.getElementsByTagName('text')].map((t) => t.textContent);
    expect(texts).toContain('socket.io <room> & co');
    expect(texts).toContain("quick mode: 'provisional'");
  });

  it('uses the data x values as ticks on a log axis, in order and spaced by their logarithm', () => {
    const doc = parseSvg(lineChart(fanout));
    const spool = [...doc.getElementsByTagName('circle')].filter(
      (c) => c.getAttribute('data-series') === 'Spool',
    );
    const cx = spool.map((c) => Number(c.getAttribute('cx')));
    expect(cx[0]).toBeLessThan(cx[1]!);
    expect(cx[1]).toBeLessThan(cx[2]!);
    const ratio = (cx[1]! - cx[0]!) / (cx[2]! - cx[0]!);
    expect(ratio).toBeCloseTo(1 / Math.log10(50), 2);
    const labels = [...doc.getElementsByTagName('text')].map((t) => t.textContent);
    expect(labels).toEqual(expect.arrayContaining(['100', '1k', '5k']));
  });

  it('draws higher values higher', () => {
    const doc = parseSvg(lineChart(fanout));
    const cy = (series: string, x: number) =>
      Number(
        [...doc.getElementsByTagName('circle')]
          .find((c) => c.getAttribute('data-series') === series && c.getAttribute('data-x') === String(x))!
          .getAttribute('cy'),
      );
    expect(cy('Spool', 100)).toBeLessThan(cy('socket.io <room> & co', 100));
  });

  it('lists a missing point under the chart instead of dropping it silently', () => {
    const spec: LineChartSpec = {
      ...fanout,
      series: [
        {
          name: 'Spool',
          points: [
            { x: 100, y: 5 },
            { x: 1000, y: Number.NaN },
            { x: 5000, y: 7 },
          ],
        },
      ],
    };
    const doc = parseSvg(lineChart(spec));
    expect(doc.getElementsByTagName('circle')).toHaveLength(2);
    expect(doc.getElementsByTagName('polyline')).toHaveLength(0); // the line is broken at the gap
    const missing = [...doc.getElementsByTagName('text')].filter(
      (t) => t.getAttribute('class') === 'missing',
    );
    expect(missing.map((t) => t.textContent)).toEqual(['no data: Spool at x = 1000']);
  });

  it('refuses a log axis with a value at or below 0, a chart without data, and a bad id', () => {
    expect(
      codeOf(() =>
        lineChart({
          ...fanout,
          series: [
            {
              name: 'a',
              points: [
                { x: 0, y: 1 },
                { x: 1, y: 1 },
              ],
            },
          ],
        }),
      ),
    ).toBe('BAD_CHART');
    expect(
      codeOf(() =>
        lineChart({ ...fanout, yScale: 'log', series: [{ name: 'a', points: [{ x: 1, y: 0 }] }] }),
      ),
    ).toBe('BAD_CHART');
    expect(codeOf(() => lineChart({ ...fanout, series: [] }))).toBe('BAD_CHART');
    expect(codeOf(() => lineChart({ ...fanout, id: 'Bad Id' }))).toBe('BAD_CHART_ID');
  });
});

describe('barChart', () => {
  const sizes = {
    kind: 'bar' as const,
    id: 'bundle',
    title: 'Bundle size',
    yLabel: 'bytes (min+gzip)',
    categories: ['WebSocket client', 'SSE client'],
    series: [
      { name: '@spool/client', values: [4952, 3630] },
      { name: 'socket.io-client', values: [13_111, Number.NaN] },
    ],
  };

  it('produces well-formed SVG with one bar per finite value, taller for larger values', () => {
    const doc = parseSvg(barChart(sizes));
    const bars = [...doc.getElementsByTagName('rect')].filter((r) => r.getAttribute('class') === 'bar');
    expect(
      bars.map((b) => [
        b.getAttribute('data-series'),
        b.getAttribute('data-category'),
        Number(b.getAttribute('data-value')),
      ]),
    ).toEqual([
      ['@spool/client', 'WebSocket client', 4952],
      ['socket.io-client', 'WebSocket client', 13_111],
      ['@spool/client', 'SSE client', 3630],
    ]);
    const height = (i: number) => Number(bars[i]!.getAttribute('height'));
    expect(height(1)).toBeGreaterThan(height(0));
    const missing = [...doc.getElementsByTagName('text')].filter(
      (t) => t.getAttribute('class') === 'missing',
    );
    expect(missing.map((t) => t.textContent)).toEqual(['no data: socket.io-client for SSE client']);
  });

  it('refuses values that do not match the categories, and negative bars', () => {
    expect(codeOf(() => barChart({ ...sizes, series: [{ name: 'a', values: [1] }] }))).toBe('BAD_CHART');
    expect(codeOf(() => barChart({ ...sizes, series: [{ name: 'a', values: [1, -2] }] }))).toBe('BAD_CHART');
  });
});

describe('compact', () => {
  it('shortens tick labels', () => {
    expect([0.5, 12, 999, 1000, 5000, 12_345, 1_000_000, 2.5e9].map(compact)).toEqual([
      '0.5',
      '12',
      '999',
      '1k',
      '5k',
      '12.3k',
      '1M',
      '2.5G',
    ]);
  });
});
