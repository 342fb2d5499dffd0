/**
 * docs/guarantees.md names, for every row, the tests that prove it: each named test file
 * must exist, so a row never points at a test that was moved or deleted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(`${root}docs/guarantees.md`, 'utf8');

describe('docs/guarantees.md', () => {
  const rows = doc.split('\n').filter((line) => line.startsWith('| **'));
  it('has a row for every failure a user can meet', () => {
    expect(rows.length).toBeGreaterThanOrEqual(10);
  });

  it('names only test files that exist, and every covered row names one', () => {
    for (const row of rows) {
      const proof = row.split('|').at(-2) ?? '';
      const files = [...proof.matchAll(/`([\w./-]+\.test\.tsx?)`/g)].map((m) => m[1]!);
      if (proof.trim() === 'not yet covered') continue;
      expect(files.length, row.slice(0, 80)).toBeGreaterThan(0);
      for (const file of files) expect(existsSync(`${root}${file}`), file).toBe(true);
    }
  });
});
