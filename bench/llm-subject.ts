/**
 * The contract between the LLM-reply workload (bench/llm-workload.ts) and one system under
 * test. A subject is a server, its producers and its client protocol, all in the workload's
 * process. Adding a system (for instance Spool with Redis-backed topics) is one more file
 * that implements {@link LlmSubject} and one more entry in bench/llm-replies.ts.
 */

/** What a client connection reports, in order. */
export interface ReplyHandlers {
  /** The next token of the reply. */
  token(text: string): void;
  /** A snapshot that replaces everything so far: the reply's text and how many tokens it holds. */
  snapshot(text: string, tokens: number): void;
  /** The reply has ended. */
  end(): void;
  /** The server would not resume: what this client missed is not coming (e.g. "already done"). */
  refused(reason: string): void;
  /** The server said part of the range is gone (Spool's `reset`); delivery goes on. */
  reset(): void;
  /** The connection or the protocol failed. */
  error(err: Error): void;
}

export interface ReplyConnection {
  /** Bytes received on this connection so far: TCP payload, so headers and framing count. */
  bytesRead(): number;
  /** Drops the connection as a network loss would. */
  cut(): void;
}

/** One reply's client; it keeps its own resume position between connections. */
export interface ReplyClient {
  /** The first connection (which, where the protocol works that way, starts the reply). */
  open(handlers: ReplyHandlers): ReplyConnection;
  /** A new connection that resumes where the previous one stopped. */
  resume(handlers: ReplyHandlers): ReplyConnection;
}

export interface LlmSubject {
  readonly name: string;
  /** Sets up reply `id`, whose producer writes `tokens` one per tick, and returns its client. */
  reply(id: string, tokens: readonly string[]): ReplyClient;
  /** Tokens the producer of reply `id` has written so far. */
  produced(id: string): number;
  /** Resolves once every producer started so far has finished. */
  drained(): Promise<void>;
  /** Redis commands this subject's clients have sent (0 for a subject without Redis). */
  redisCommands(): number;
  close(): Promise<void>;
}

/**
 * The model's pace: every producer writes one token per tick, as an LLM API delivers a
 * stream of tokens. One shared interval drives all replies of a process.
 */
export class Ticker {
  private waiters: Array<() => void> = [];
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(intervalMs: number) {
    this.timer = setInterval(() => {
      const ready = this.waiters;
      this.waiters = [];
      for (const resolve of ready) resolve();
    }, intervalMs);
  }

  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    clearInterval(this.timer);
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
