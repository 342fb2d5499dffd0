/**
 * Real `spool serve` processes for the scenarios: the CLI run from source (as `pnpm start`
 * does) on port 0, with the probe (./probe.ts) loaded beside it for memory and handle
 * figures. Settings are passed as the CLI's own SPOOL_* variables.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const serverDir = dirname(createRequire(import.meta.url).resolve('@spool/server/package.json'));
const root = join(serverDir, '..', '..');
const cli = join(serverDir, 'src', 'cli.ts');
const probeModule = fileURLToPath(new URL('./probe.ts', import.meta.url));

export interface Usage {
  rss: number;
  heapUsed: number;
  external: number;
  /** Live handles by kind (`TCPSocketWrap`, `Timeout`, ...), from `process.getActiveResourcesInfo()`. */
  resources: Record<string, number>;
}

export interface SpoolProcess {
  proc: ChildProcess;
  url: string;
  port: number;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Sends `signal` and waits for the exit. */
  stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<number | null>;
  /** Freezes (SIGSTOP) or thaws (SIGCONT) the process: a long GC pause, a stopped VM. */
  pause(): void;
  resume(): void;
  /** Memory and handles now; `gc` collects first. */
  usage(gc?: boolean): Promise<Usage>;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
}

const running = new Set<ChildProcess>();
let probes = 0;

/** Starts `spool serve --port 0` in memory mode with `env` on top, once it logged its URL. */
export async function startSpool(env: Record<string, string> = {}): Promise<SpoolProcess> {
  const proc = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx/esm',
      '--conditions=@spool/source',
      '--import',
      probeModule,
      cli,
      'serve',
      '--port',
      '0',
    ],
    {
      cwd: root,
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SPOOL_'))),
        SPOOL_LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  running.add(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      running.delete(proc);
      resolve(code);
    }),
  );
  const waiting = new Map<number, (u: Usage) => void>();
  proc.on('message', (m: Usage & { probe: number }) => {
    waiting.get(m.probe)?.(m);
    waiting.delete(m.probe);
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const log = JSON.parse(line) as { url?: unknown };
        if (typeof log.url === 'string') resolve(log.url);
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => reject(new Error(`spool serve exited with ${code}: ${stderr}`)));
  });
  return {
    proc,
    url,
    port: Number(new URL(url).port),
    exited,
    stop: (signal) => {
      // A stopped process does not act on SIGTERM until it runs again.
      proc.kill('SIGCONT');
      proc.kill(signal);
      return exited;
    },
    pause: () => proc.kill('SIGSTOP'),
    resume: () => proc.kill('SIGCONT'),
    usage: (gc = false) =>
      new Promise<Usage>((resolve, reject) => {
        const probe = ++probes;
        waiting.set(probe, resolve);
        proc.send({ probe, gc }, (err) => {
          if (err) {
            waiting.delete(probe);
            reject(err);
          }
        });
      }),
    stderr: () => stderr,
  };
}

/** SIGKILLs every process a scenario left running (afterEach). */
export function killSpoolProcesses(): void {
  for (const proc of running) proc.kill('SIGKILL');
}
