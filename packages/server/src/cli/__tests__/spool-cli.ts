/**
 * The `spool` CLI as a child process, run from source, for the tests that need a real
 * process (signals, SIGKILL, restarts): its JSON log lines, parsed, and a wait for one.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));
const cli = fileURLToPath(new URL('../../cli.ts', import.meta.url));

/** Runs the CLI from source, as `pnpm start` and Playwright do. */
export function spoolCli(args: string[], env: Record<string, string> = {}) {
  const proc = spawn(process.execPath, ['--import', 'tsx/esm', '--conditions=@spool/source', cli, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const waiters: Array<() => void> = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ text: line });
    }
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  /** Waits for the first log line matching `match` (or fails if the process exits first). */
  const log = async (match: (l: Record<string, unknown>) => boolean) => {
    for (;;) {
      const found = logs.find(match);
      if (found) return found;
      if (proc.exitCode !== null) throw new Error(`spool exited with ${proc.exitCode}: ${stderr}`);
      await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), exited]);
    }
  };
  return { proc, logs, log, exited, stderr: () => stderr };
}
