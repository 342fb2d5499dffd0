/**
 * What a benchmark hands the report writer to draw. Charts are data, not pictures, so the
 * writer can render them (bench/report/svg-chart.ts) and tests can check every point.
 */

/** One line of a line chart. Non-finite `y` values are drawn as a gap and listed under the chart. */
export interface LineSeries {
  name: string;
  points: ReadonlyArray<{ x: number; y: number }>;
}

export interface LineChartSpec {
  kind: 'line';
  /** Part of the file name: `<bench>.<id>.svg`; lowercase letters, digits and dashes. */
  id: string;
  title: string;
  /** A second title line, e.g. the workload or "quick mode". */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  /** @default 'linear' */
  xScale?: 'linear' | 'log';
  /** @default 'linear' */
  yScale?: 'linear' | 'log';
  series: readonly LineSeries[];
}

/** Grouped bars: one group per category, one bar per series. */
export interface BarChartSpec {
  kind: 'bar';
  id: string;
  title: string;
  subtitle?: string;
  yLabel: string;
  categories: readonly string[];
  /** `values[i]` belongs to `categories[i]`; a non-finite value is a missing bar, listed under the chart. */
  series: ReadonlyArray<{ name: string; values: readonly number[] }>;
}

export type ChartSpec = LineChartSpec | BarChartSpec;
