/** The stream side of a {@link LogDestination}: a Node writable such as `process.stdout`. */
export interface LogStream {
  readonly writableLength: number;
  readonly writable: boolean;
  /** The error that destroyed the stream, if one did (set synchronously, before 'error' is emitted). */
  readonly errored?: Error | null;
  write(chunk: string): boolean;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** Options of {@link LogDestination}. */
export interface LogDestinationOptions {
  /**
   * Bytes the stream may hold unwritten (a reader that stopped reading); past them log
   * lines are dropped and counted instead of growing memory.
   * @default 1048576 (1 MiB)
   */
  maxBacklogBytes?: number;
  /** Told once, when the stream fails (EPIPE: the reader went away) and lines start being dropped. */
  onBroken?: (err: Error) => void;
}

/** The defaults of {@link LogDestinationOptions}. */
export const logDestinationDefaults = Object.freeze({ maxBacklogBytes: 1024 * 1024 });

/**
 * Where `spool serve` writes its JSON log lines (pino's destination), so that logging can
 * never hold the process up, whatever the reader does: `spool serve | head -c 10` closes
 * the pipe (EPIPE), a stalled reader fills it. pino's default destination retries a
 * failed synchronous flush on exit forever, so a SIGTERM drain finished but the process
 * stayed. Here, lines go through the stream's own non-blocking writes; once the stream
 * fails, or holds `maxBacklogBytes` unwritten, lines are dropped and counted (`dropped`),
 * and there is nothing to flush on exit.
 *
 * @example
 * const logger = pino({ level: 'info' }, new LogDestination(process.stdout, {
 *   onBroken: () => process.stderr.write('spool: stdout is closed; log lines are dropped\n'),
 * }));
 */
export class LogDestination {
  /** Lines not written: the stream had failed, or its backlog was full. */
  dropped = 0;
  private broken = false;
  private readonly maxBacklogBytes: number;

  constructor(
    private readonly stream: LogStream,
    private readonly options: LogDestinationOptions = {},
  ) {
    this.maxBacklogBytes = options.maxBacklogBytes ?? logDestinationDefaults.maxBacklogBytes;
    stream.on('error', (err) => this.markBroken(err));
  }

  write(line: string): void {
    // A failed write destroys the stream at once, but 'error' only follows on the next
    // tick: a process about to exit may never see it, so the state is checked here too.
    if (!this.broken && !this.stream.writable) {
      this.markBroken(this.stream.errored ?? new Error('The log stream is not writable.'));
    }
    if (this.broken || this.stream.writableLength > this.maxBacklogBytes) {
      this.dropped++;
      return;
    }
    this.stream.write(line);
  }

  private markBroken(err: Error): void {
    if (this.broken) return;
    this.broken = true;
    this.options.onBroken?.(err);
  }
}
