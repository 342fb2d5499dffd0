import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BenchReportError } from './report-error';
import { replaceSection, sectionMarkers } from './section-markers';

const HAND_WRITTEN = [
  '# Benchmarks',
  '',
  'Hand-written notes | with a pipe, trailing spaces   ',
  'and a quoted marker: `<!-- bench:fanout:start -->` is not a marker line.',
  '',
  '| benchmark | target |',
  '|---|---|',
  '| fan-out | >= 3x |',
  '',
].join('\n');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof BenchReportError ? err.code : `not a BenchReportError: ${String(err)}`;
  }
  return undefined;
}

describe('replaceSection', () => {
  it('appends a missing section after the untouched document', () => {
    const next = replaceSection(HAND_WRITTEN, 'fanout', 'body line\n\n');
    expect(next.startsWith(HAND_WRITTEN)).toBe(true);
    expect(next.slice(HAND_WRITTEN.length)).toBe(
      '\n<!-- bench:fanout:start -->\nbody line\n<!-- bench:fanout:end -->\n',
    );
  });

  it('adds a newline before an appended section when the document lacks one, keeping it as a prefix', () => {
    const next = replaceSection('no newline', 'size', 'b');
    expect(next).toBe('no newline\n\n<!-- bench:size:start -->\nb\n<!-- bench:size:end -->\n');
  });

  it('replaces only the lines between its own markers and leaves every other byte identical', () => {
    const prefix = `${HAND_WRITTEN}\n<!-- bench:size:start -->\nsize figures\n<!-- bench:size:end -->\n\ntext between\n`;
    const suffix = '\n\nclosing notes, no trailing newline';
    const doc = `${prefix}<!-- bench:fanout:start -->\nold figures\nmore old\n<!-- bench:fanout:end -->${suffix}`;
    const next = replaceSection(doc, 'fanout', 'new figures');
    const start = '<!-- bench:fanout:start -->';
    expect(next.slice(0, prefix.length + start.length)).toBe(doc.slice(0, prefix.length + start.length));
    expect(next.endsWith(`<!-- bench:fanout:end -->${suffix}`)).toBe(true);
    expect(next).toBe(`${prefix}${start}\nnew figures\n<!-- bench:fanout:end -->${suffix}`);
  });

  it('is idempotent, and the last body wins', () => {
    const doc = replaceSection(HAND_WRITTEN, 'resume', 'first');
    const once = replaceSection(doc, 'resume', 'second\n');
    expect(replaceSection(once, 'resume', 'second\n')).toBe(once);
    expect(replaceSection(replaceSection(once, 'resume', 'x'), 'resume', 'second')).toBe(once);
  });

  it('does not take a marker quoted inside a line for a marker', () => {
    const next = replaceSection(HAND_WRITTEN, 'fanout', 'b');
    expect(next.startsWith(HAND_WRITTEN)).toBe(true);
    expect(replaceSection(next, 'fanout', 'b')).toBe(next);
  });

  it('keeps CRLF line ends around a replaced section', () => {
    const doc = 'a\r\n<!-- bench:topic:start -->\r\nold\r\n<!-- bench:topic:end -->\r\nz\r\n';
    expect(replaceSection(doc, 'topic', 'new')).toBe(
      'a\r\n<!-- bench:topic:start -->\r\nnew\r\n<!-- bench:topic:end -->\r\nz\r\n',
    );
  });

  it('refuses unbalanced markers instead of guessing', () => {
    const { start, end } = sectionMarkers('fanout');
    const cases = [
      `${HAND_WRITTEN}${start}\nonly a start\n`,
      `${HAND_WRITTEN}only an end\n${end}\n`,
      `${end}\n${start}\n`,
      `${start}\na\n${end}\n${start}\nb\n${end}\n`,
    ];
    for (const doc of cases)
      expect(codeOf(() => replaceSection(doc, 'fanout', 'x'))).toBe('UNBALANCED_MARKERS');
  });

  it('refuses a body holding a marker line of any section', () => {
    expect(codeOf(() => replaceSection('', 'fanout', 'a\n<!-- bench:size:end -->\nb'))).toBe(
      'MARKER_IN_BODY',
    );
    expect(codeOf(() => replaceSection('', 'fanout', 'quoted `<!-- bench:size:end -->` is fine'))).toBe(
      undefined,
    );
  });

  it('refuses a name that cannot be a marker', () => {
    for (const name of ['', 'Fan out', 'a:b', 'x-->']) {
      expect(codeOf(() => replaceSection('', name, 'b'))).toBe('BAD_SECTION_NAME');
    }
  });

  it('keeps text outside the section byte-identical and is idempotent, for any surrounding text', () => {
    // Text that never holds a marker line of its own (a marker inside a line is fine).
    const text = fc
      .array(fc.oneof(fc.string(), fc.constant('<!-- bench:x:start --> inline'), fc.constant('\r\n')), {
        maxLength: 8,
      })
      .map((parts) => parts.join('\n'))
      .filter((s) => !/^<!-- bench:[a-z0-9-]+:(start|end) -->\r?$/m.test(s));
    fc.assert(
      fc.property(text, text, text, text, (before, old, body, after) => {
        fc.pre(!/^<!-- bench:[a-z0-9-]+:(start|end) -->\r?$/m.test(body));
        const doc = `${before}\n<!-- bench:x:start -->\n${old}\n<!-- bench:x:end -->\n${after}`;
        const next = replaceSection(doc, 'x', body);
        const head = `${before}\n<!-- bench:x:start -->`;
        expect(next.startsWith(head)).toBe(true);
        expect(next.endsWith(`<!-- bench:x:end -->\n${after}`)).toBe(true);
        expect(replaceSection(next, 'x', body)).toBe(next);
      }),
    );
  });
});
