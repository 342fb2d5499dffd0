import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));

/** A TypeScript child process run from source, talking in lines on stdin/stdout. */
export interface Child {
  proc: ChildProcess;
  /** Waits for the next stdout line that `match` accepts (fails if the child exits first). */
  line(match?: (line: string) => boolean): Promise<string>;
  send(line: string): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export function spawnChild(script: string, env: Record<string, string>): Child {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx/esm', '--conditions=@spool/source', fileURLToPath(new URL(script, import.meta.url))],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let exitedNow = false;
  void exited.then(() => {
    exitedNow = true;
    for (const w of waiters.splice(0)) w();
  });
  return {
    proc,
    async line(match = () => true) {
      for (;;) {
        const at = lines.findIndex(match);
        if (at >= 0) return lines.splice(at, 1)[0]!;
        if (exitedNow) throw new Error(`child ${script} exited before the line: ${stderr}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    send(line) {
      proc.stdin!.write(`${line}\n`);
    },
    exited,
    stderr: () => stderr,
  };
}
