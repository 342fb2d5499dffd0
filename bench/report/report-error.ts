/** Why the report writer refused its input; callers branch on `code`. */
export type BenchReportErrorCode =
  | 'BAD_SECTION_NAME'
  | 'UNBALANCED_MARKERS'
  | 'MARKER_IN_BODY'
  | 'BAD_CHART'
  | 'BAD_CHART_ID';

/**
 * An error of the benchmark report writer (bench/report/). The writer refuses rather than
 * guess: a half-replaced docs/benchmarks.md would silently eat the hand-written notes.
 */
export class BenchReportError extends Error {
  override readonly name = 'BenchReportError';

  constructor(
    readonly code: BenchReportErrorCode,
    message: string,
  ) {
    super(message);
  }
}
