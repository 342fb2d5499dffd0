import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LogDestination } from './log-destination';

/** A writable whose reader never reads: every write stays buffered. */
function stalled(): Writable & { chunks: string[] } {
  const chunks: string[] = [];
  const w = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _enc, _callback) {
      chunks.push(chunk.toString()); // never calls back: the backlog only grows
    },
  });
  return Object.assign(w, { chunks });
}

describe('LogDestination', () => {
  it('writes lines through while the stream is healthy', () => {
    const chunks: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    const dest = new LogDestination(out);
    dest.write('a\n');
    dest.write('b\n');
    expect(chunks).toEqual(['a\n', 'b\n']);
    expect(dest.dropped).toBe(0);
  });

  it('says once that the stream broke (EPIPE), then drops and counts lines without throwing', async () => {
    const out = new Writable({
      write(_chunk, _enc, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const broken: string[] = [];
    const dest = new LogDestination(out, {
      onBroken: (err) => broken.push((err as NodeJS.ErrnoException).code!),
    });
    dest.write('first\n'); // handed to the stream, which fails and is destroyed
    dest.write('second\n'); // before 'error' is even emitted: seen as broken already
    await new Promise<void>((resolve) => out.once('close', resolve));
    dest.write('third\n');
    expect(broken).toEqual(['EPIPE']);
    expect(dest.dropped).toBe(2);
  });

  it('drops lines past the backlog bound when the reader stalls, so memory stays bounded', () => {
    const out = stalled();
    const dest = new LogDestination(out, { maxBacklogBytes: 100 });
    for (let i = 0; i < 50; i++) dest.write(`${'x'.repeat(19)}\n`);
    expect(out.writableLength).toBeLessThanOrEqual(100 + 20);
    expect(dest.dropped).toBe(50 - out.writableLength / 20);
    expect(dest.dropped).toBeGreaterThan(0);
  });
});
