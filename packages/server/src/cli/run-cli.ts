import { isSpoolError } from '@spool/core';
import { type ServeDeps, startServe } from './serve';
import { EXIT_EVICTED } from './serve-cluster';
import { parseServeArgs, serveHelp } from './serve-options';
import { migrateServeStore } from './serve-store';

/** Where the CLI writes and which signals it drains on (injectable for tests). */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Registers a listener for a signal, for every time it arrives (`process.on`). */
  onSignal: (signal: 'SIGTERM' | 'SIGINT', listener: () => void) => void;
}

/**
 * The `spool` command: `spool migrate [flags]` applies the message store's migrations and
 * exits (0, or 1 when the database fails); `spool serve [flags]` runs until SIGTERM or SIGINT, then drains and
 * resolves with the exit code (0 after a clean drain, 1 when it failed or overran
 * `--shutdown-timeout-ms`); a second signal stops waiting. A start that fails prints its
 * message and stable code (`spool: … [INSTANCE_ID_TAKEN]`) and resolves with 1. An instance evicted from its
 * cluster joins again as a new incarnation; one that cannot (another live process took its ID
 * meanwhile) drains and resolves with {@link EXIT_EVICTED} (75). `--help` prints every flag.
 * Configuration errors print one line to stderr and resolve with 2.
 *
 * @example process.exitCode = await runCli(process.argv.slice(2), process.env, { dashboardDir }, io);
 */
export async function runCli(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  deps: ServeDeps,
  io: CliIo,
): Promise<number> {
  let command: ReturnType<typeof parseServeArgs>;
  try {
    command = parseServeArgs(argv, env);
  } catch (err) {
    io.stderr(`spool: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  if (command.kind === 'help') {
    io.stdout(serveHelp());
    return 0;
  }
  if (command.kind === 'migrate') {
    try {
      const r = await migrateServeStore(command.config);
      io.stdout(
        r.applied.length === 0
          ? `spool: schema "${r.schema}" is current (version ${r.version})\n`
          : `spool: schema "${r.schema}": applied migration(s) ${r.applied.join(', ')}; now at version ${r.version}\n`,
      );
      return 0;
    } catch (err) {
      io.stderr(`spool: ${err instanceof Error ? err.message : String(err)}\n`);
      return isSpoolError(err, 'INVALID_OPTION') ? 2 : 1;
    }
  }
  const config = command.config;
  // Signals are caught before the server starts: one that arrives right after the bound
  // URL is logged (or during start-up) asks for a drain; Node's default would kill at once.
  const early: string[] = [];
  let onSignal = (signal: string) => {
    early.push(signal);
  };
  io.onSignal('SIGTERM', () => onSignal('SIGTERM'));
  io.onSignal('SIGINT', () => onSignal('SIGINT'));
  let serve: Awaited<ReturnType<typeof startServe>>;
  try {
    serve = await startServe(config, deps);
  } catch (err) {
    // The stable code too, for scripts and supervisors that branch on it (INSTANCE_ID_TAKEN...).
    const code = isSpoolError(err) ? ` [${err.code}]` : '';
    io.stderr(`spool: ${err instanceof Error ? err.message : String(err)}${code}\n`);
    return isSpoolError(err, 'INVALID_OPTION') ? 2 : 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    /** Drains, then resolves with `code` (1 when the drain failed or overran). */
    const stop = (reason: string, code: number) => {
      stopping = true;
      const timer = setTimeout(() => {
        io.stderr(`spool: the drain took longer than ${config.shutdownTimeoutMs} ms; exiting\n`);
        resolve(code === 0 ? 1 : code);
      }, config.shutdownTimeoutMs);
      timer.unref();
      serve.shutdown(reason).then(
        () => {
          clearTimeout(timer);
          resolve(code);
        },
        (err: unknown) => {
          clearTimeout(timer);
          io.stderr(`spool: the drain failed: ${err instanceof Error ? err.message : String(err)}\n`);
          resolve(code === 0 ? 1 : code);
        },
      );
    };
    onSignal = (signal: string) => {
      if (stopping) {
        io.stderr(`spool: ${signal} again, exiting without waiting for the drain\n`);
        resolve(1);
        return;
      }
      stop(signal, 0);
    };
    // Out of the cluster for good (evicted, and its ID taken by another live process): it exits
    // rather than serving outside the cluster (docs/architecture.md, "Instances and incarnations").
    void serve.cluster?.evicted.then((why) => {
      if (stopping) return;
      io.stderr(
        `spool: this instance was evicted from the cluster and cannot join again: ${why} [INSTANCE_ID_TAKEN]; draining and exiting with code ${EXIT_EVICTED}\n`,
      );
      stop('evicted', EXIT_EVICTED);
    });
    for (const signal of early.splice(0)) onSignal(signal);
  });
}
