import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliIo, runCli } from './run-cli';

let tmp: string | undefined;
afterEach(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
  tmp = undefined;
});

describe('runCli', () => {
  it('drains on a SIGTERM that arrives as soon as the bound URL is logged', async () => {
    tmp = await mkdtemp(join(tmpdir(), 'spool-cli-'));
    const listeners = new Map<string, () => void>();
    const io: CliIo = {
      stdout: () => {},
      stderr: () => {},
      onSignal: (signal, listener) => listeners.set(signal, listener),
    };
    const lines: string[] = [];
    // The log destination sends SIGTERM the moment "listening" is written, as a supervisor
    // that waits for that line would.
    const logger = pino(
      { level: 'info' },
      {
        write(line: string) {
          lines.push(line);
          if (line.includes('spool listening')) listeners.get('SIGTERM')?.();
        },
      },
    );
    const code = await runCli(['serve', '--port', '0'], {}, { dashboardDir: join(tmp, 'dist'), logger }, io);
    expect(code).toBe(0);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(
      expect.arrayContaining(['draining', 'spool stopped']),
    );
  });
});
