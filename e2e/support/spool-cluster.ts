import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = fileURLToPath(new URL('../../packages/server/src/cli.ts', import.meta.url));

/** The shared test Redis (scripts/ensure-env.sh); faults are never injected on it here. */
export const E2E_REDIS_URL = process.env.SPOOL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** One `spool serve` process of a cluster, from source like the Playwright web server. */
export interface ClusterInstance {
  instanceId: string;
  /** `http://127.0.0.1:<port>`, as the process logged it. */
  url: string;
  proc: ChildProcess;
}

/**
 * A cluster of `spool serve` processes on the shared Redis, under a key prefix of its own
 * (docs/architecture.md, "Instances and incarnations"). `stop()` ends the processes and
 * deletes every key under the prefix.
 *
 * @example
 * const cluster = new SpoolCluster();
 * const a = await cluster.start('e2e-a');
 * await cluster.stop();
 */
export class SpoolCluster {
  /** Unique per run: nothing is shared with another run or another test on this Redis. */
  readonly prefix = `spool-e2e:${randomUUID()}:`;
  private readonly instances: ClusterInstance[] = [];

  /** Starts `spool serve` as `instanceId` on a free port and waits until it listens. */
  async start(instanceId: string): Promise<ClusterInstance> {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx/esm', '--conditions=@spool/source', cli, 'serve', '--port', '0'],
      {
        cwd: root,
        env: {
          ...process.env,
          SPOOL_LOG_LEVEL: 'info',
          SPOOL_REDIS_URL: E2E_REDIS_URL,
          SPOOL_REDIS_PREFIX: this.prefix,
          SPOOL_INSTANCE_ID: instanceId,
          SPOOL_DEMO: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: proc.stdout! });
      lines.on('line', (line) => {
        try {
          const entry = JSON.parse(line) as { url?: unknown };
          if (typeof entry.url === 'string') resolve(entry.url);
        } catch {
          // Not a log line (the process's own output): ignored.
        }
      });
      proc.once('exit', (code) =>
        reject(new Error(`spool serve ${instanceId} exited with ${code}: ${stderr}`)),
      );
    });
    const instance = { instanceId, url, proc };
    this.instances.push(instance);
    return instance;
  }

  /** Stops every process (SIGTERM, then SIGKILL after 10 s) and deletes the cluster's keys. */
  async stop(): Promise<void> {
    await Promise.all(this.instances.splice(0).map((i) => stopProcess(i.proc)));
    await deleteKeys(this.prefix);
  }
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Deletes every key under `prefix` with `redis-cli` (the e2e package has no Redis client). */
async function deleteKeys(prefix: string): Promise<void> {
  const { stdout } = await run('redis-cli', ['-u', E2E_REDIS_URL, '--scan', '--pattern', `${prefix}*`]);
  const keys = stdout.split('\n').filter((k) => k !== '');
  for (let i = 0; i < keys.length; i += 500) {
    await run('redis-cli', ['-u', E2E_REDIS_URL, 'DEL', ...keys.slice(i, i + 500)]);
  }
}
