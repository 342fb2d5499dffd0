/**
 * A real `spool serve` process for restart tests: the CLI run from source, as `pnpm start`
 * does, on port 0, plus a TCP relay whose upstream can be switched, so that clients keep
 * one URL while the server behind it is killed and started again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, type Server, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

const serverDir = dirname(createRequire(import.meta.url).resolve('@spool/server/package.json'));
const root = join(serverDir, '..', '..');
const cli = join(serverDir, 'src', 'cli.ts');

export interface SpoolProcess {
  proc: ChildProcess;
  /** `http://127.0.0.1:<port>`, as the process logged it. */
  url: string;
  port: number;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Kills with `signal` and waits for the exit. */
  stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Starts `spool serve --port 0` in memory mode and resolves once it logged its URL. */
export async function startSpoolProcess(): Promise<SpoolProcess> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx/esm', '--conditions=@spool/source', cli, 'serve', '--port', '0'],
    {
      cwd: root,
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SPOOL_'))),
        SPOOL_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
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
      proc.kill(signal);
      return exited;
    },
  };
}

/** Kills every process a test left running (afterEach). */
export function killSpoolProcesses(): void {
  for (const proc of running) proc.kill('SIGKILL');
}

export interface Relay {
  port: number;
  /** Where new connections go; undefined refuses them (the server is down). */
  target: number | undefined;
  close(): Promise<void>;
}

/** A TCP relay on port 0 to `relay.target`; a connection ends when either side does. */
export async function startRelay(): Promise<Relay> {
  const open = new Set<Socket>();
  const relay: Relay = { port: 0, target: undefined, close: async () => {} };
  const server: Server = createServer((client) => {
    open.add(client);
    const upstream = new Socket();
    open.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
    if (relay.target === undefined) {
      end();
      return;
    }
    upstream.connect(relay.target, '127.0.0.1');
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay did not bind a TCP port');
  relay.port = address.port;
  relay.close = async () => {
    for (const s of open) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return relay;
}
