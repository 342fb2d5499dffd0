import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { spoolCli } from './__tests__/spool-cli';

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

describe('spool serve (child process)', () => {
  it('starts on a free port, logs the bound URL, answers /healthz, and drains on SIGTERM', async () => {
    const run = spoolCli(['serve', '--port', '0'], { SPOOL_LOG_LEVEL: 'info' });
    child = run.proc;
    const listening = await run.log((l) => typeof l.url === 'string');
    expect(listening.msg).toMatch(/^spool listening on http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${listening.url as string}/healthz`);
    expect(await res.json()).toEqual({ ok: true });
    run.proc.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['draining', 'spool stopped']));
  });

  it('exits after SIGTERM when its stdout was closed early (spool serve --demo | head -c 10)', async () => {
    const run = spoolCli(['serve', '--demo', '--port', '0', '--shutdown-timeout-ms', '5000'], {
      SPOOL_LOG_LEVEL: 'info',
    });
    child = run.proc;
    await run.log((l) => typeof l.url === 'string'); // listening, and logging to the pipe
    run.proc.stdout!.destroy(); // the reader goes away: every later write gets EPIPE
    run.proc.kill('SIGTERM');
    // A clean drain (0), not the drain timeout (1) and not a hang (the test would time out).
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toMatch(/^spool: stdout is closed \(EPIPE\); log lines from now on are dropped\n/m);
  });

  it('prints every flag for --help, and exits 2 with one clear line on a bad configuration', async () => {
    const help = spoolCli(['--help']);
    child = help.proc;
    expect(await help.exited).toBe(0);
    const text = help.logs.map((l) => l.text).join('\n');
    expect(text).toContain('Usage: spool serve [flags]');
    expect(text).toContain('env SPOOL_PORT; default 8080');
    const bad = spoolCli(['serve', '--host', '0.0.0.0', '--port', '0']);
    child = bad.proc;
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/^spool: Refusing to serve on 0\.0\.0\.0 without a token/);
  });
});
