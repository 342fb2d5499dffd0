/**
 * The generated sections of docs/benchmarks.md. Each benchmark owns the lines between
 * `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` and rewrites only those; every
 * byte outside them (the hand-written notes, the targets table, other benchmarks' sections)
 * stays as it is. A marker counts only when it is a whole line, so prose may quote one.
 */
import { BenchReportError } from './report-error';

const NAME = /^[a-z0-9][a-z0-9-]*$/;
/** Any section marker, of any benchmark, on a line of its own. */
const ANY_MARKER = /^<!-- bench:[a-z0-9][a-z0-9-]*:(start|end) -->\r?$/m;

export interface SectionMarkers {
  start: string;
  end: string;
}

/**
 * The two marker lines of benchmark `name` (lowercase letters, digits and dashes).
 * @example
 * sectionMarkers('fanout'); // { start: '<!-- bench:fanout:start -->', end: '<!-- bench:fanout:end -->' }
 */
export function sectionMarkers(name: string): SectionMarkers {
  if (!NAME.test(name)) {
    throw new BenchReportError(
      'BAD_SECTION_NAME',
      `Section name must be lowercase letters, digits and dashes, got ${JSON.stringify(name)}.`,
    );
  }
  return { start: `<!-- bench:${name}:start -->`, end: `<!-- bench:${name}:end -->` };
}

/** Offsets of the lines of `doc` that are exactly `line` (a trailing CR allowed). */
function lineOffsets(doc: string, line: string): number[] {
  const out: number[] = [];
  let from = 0;
  for (;;) {
    const at = doc.indexOf(line, from);
    if (at === -1) return out;
    const after = doc[at + line.length];
    const startsLine = at === 0 || doc[at - 1] === '\n';
    const endsLine =
      after === undefined || after === '\n' || (after === '\r' && doc[at + line.length + 1] === '\n');
    if (startsLine && endsLine) out.push(at);
    from = at + line.length;
  }
}

/**
 * Returns `doc` with the section of `name` holding `body`, and every other byte unchanged.
 * - Both markers present once, start before end: only the lines between them are replaced.
 * - Neither present: the section is appended at the end (after a newline if `doc` lacks one).
 * - Anything else (one marker missing, duplicated, or in the wrong order): refused.
 * Replacing twice with the same body gives the same text (idempotent). Trailing newlines of
 * `body` are dropped; a body that holds a marker line of any section is refused.
 * @throws BenchReportError `UNBALANCED_MARKERS`, `MARKER_IN_BODY`, `BAD_SECTION_NAME`
 * @example
 * const next = replaceSection(readFileSync(doc, 'utf8'), 'fanout', markdown);
 */
export function replaceSection(doc: string, name: string, body: string): string {
  const { start, end } = sectionMarkers(name);
  const trimmed = body.replace(/(\r?\n)+$/, '');
  if (ANY_MARKER.test(trimmed)) {
    throw new BenchReportError(
      'MARKER_IN_BODY',
      `The body of section "${name}" holds a section marker line; it would break the next replacement.`,
    );
  }
  const starts = lineOffsets(doc, start);
  const ends = lineOffsets(doc, end);
  if (starts.length === 0 && ends.length === 0) {
    const sep = doc === '' || doc.endsWith('\n') ? '' : '\n';
    return `${doc}${sep}\n${start}\n${trimmed}\n${end}\n`;
  }
  if (starts.length !== 1 || ends.length !== 1 || starts[0]! > ends[0]!) {
    throw new BenchReportError(
      'UNBALANCED_MARKERS',
      `Section "${name}": expected one "${start}" line before one "${end}" line, found ${starts.length} start and ${ends.length} end line(s). Fix the markers by hand; nothing was written.`,
    );
  }
  const open = starts[0]! + start.length;
  const eol = doc[open] === '\r' ? '\r\n' : '\n';
  return `${doc.slice(0, open)}${eol}${trimmed}${eol}${doc.slice(ends[0]!)}`;
}
