/** What one benchmark returns: its tables, its charts and notes, for the console and the docs. */
import type { ChartSpec } from './chart-spec';

export interface Row {
  name: string;
  value: number;
  unit: string;
  /** The peer this row is compared with, and the ratio value/peer. */
  peer?: string;
  ratio?: number;
  target?: string;
}

export interface Table {
  title: string;
  rows: Row[];
}

export interface BenchOutput {
  tables: Table[];
  charts?: ChartSpec[];
  /** Sentences printed under the tables (caveats the figures need, e.g. a shared Redis). */
  notes?: string[];
}
