import { SpoolError, type WireEndReason, type WireOpenMeta } from '@spool/core';

/**
 * The work function of `spool.run`, as seed 003's `NewStream(id, workFunc)`: it writes the
 * message chunk by chunk and returns (success) or throws (error). `signal` aborts when the
 * message is cancelled from elsewhere (`msg.cancel`, a channel end, a timeout, shutdown).
 */
export type RunWork = (
  write: (chunk: string | Uint8Array) => Promise<string>,
  signal: AbortSignal,
) => void | Promise<void>;

/** A running message: its IDs, its end, and a way to cancel it. */
export interface RunHandle {
  messageId: string;
  /** The channel topic its events go to. */
  topic: string;
  /** Event ID of its `msg.open`. */
  openId: string;
  /** Resolves with the end reason once `msg.end` went out. */
  done: Promise<WireEndReason>;
  /** Ends the message with reason `cancelled` and aborts the work's signal. */
  cancel(): Promise<void>;
}

/** What {@link MessageRuns} drives: the chat producer, as the server itself. */
export interface RunTarget {
  openAsServer(meta: WireOpenMeta): Promise<{ messageId: string; id: string; topic: string }>;
  appendAsServer(messageId: string, chunkId: number, chunk: string | Uint8Array): Promise<string>;
  endAsServer(messageId: string, reason: WireEndReason): Promise<void>;
}

interface RunState {
  controller: AbortController;
  resolveDone: (reason: WireEndReason) => void;
  ending: boolean;
}

/**
 * Server-side producers (`spool.run`): each run appends what its work function writes,
 * in order, ends the message with `success` or `error`, and aborts its signal when the
 * message ends for any other reason.
 *
 * @example
 * const run = await runs.start({ channelId: 'general', channelType: 1 }, async (write, signal) => {
 *   for await (const token of llm.stream(prompt, { signal })) await write(token);
 * });
 * await run.done; // 'success'
 */
export class MessageRuns {
  private readonly runs = new Map<string, RunState>();

  constructor(private readonly target: RunTarget) {}

  get active(): number {
    return this.runs.size;
  }

  async start(meta: WireOpenMeta, work: RunWork): Promise<RunHandle> {
    if (typeof work !== 'function') {
      throw new SpoolError(
        'INVALID_OPTION',
        '`spool.run(meta, work)`: `work` must be a function (write, signal) => Promise<void>.',
      );
    }
    const { messageId, id, topic } = await this.target.openAsServer(meta);
    const controller = new AbortController();
    let resolveDone!: (reason: WireEndReason) => void;
    const done = new Promise<WireEndReason>((resolve) => {
      resolveDone = resolve;
    });
    const state: RunState = { controller, resolveDone, ending: false };
    this.runs.set(messageId, state);

    let nextChunkId = 0;
    let chain: Promise<unknown> = Promise.resolve();
    const write = (chunk: string | Uint8Array): Promise<string> => {
      if (controller.signal.aborted || state.ending) {
        return Promise.reject(
          new SpoolError('STREAM_CLOSED', `Message ${messageId} has ended; stop writing.`),
        );
      }
      const chunkId = nextChunkId++;
      // Chained, so chunks reach the topic in the order written even if the work does not await.
      const appended = chain.then(() => this.target.appendAsServer(messageId, chunkId, chunk));
      chain = appended.catch(() => {});
      return appended;
    };

    const finish = async (reason: WireEndReason) => {
      if (state.ending || controller.signal.aborted) return;
      state.ending = true;
      await chain;
      await this.target.endAsServer(messageId, reason).catch(() => {
        // Already ended elsewhere (a cancel raced the work's return): the end event settles `done`.
      });
    };
    queueMicrotask(() => {
      Promise.resolve()
        .then(() => work(write, controller.signal))
        .then(
          () => finish('success'),
          () => finish('error'),
        );
    });

    return {
      messageId,
      topic,
      openId: id,
      done,
      cancel: async () => {
        if (state.ending || controller.signal.aborted) return;
        state.ending = true;
        await this.target.endAsServer(messageId, 'cancelled').catch(() => {});
      },
    };
  }

  /** The message ended (any reason, any cause): abort the work unless it ended it itself. */
  ended(messageId: string, reason: WireEndReason): void {
    const state = this.runs.get(messageId);
    if (!state) return;
    if (reason !== 'success' && reason !== 'error') {
      state.controller.abort(
        new SpoolError('ABORTED', `Message ${messageId} ended with reason "${reason}".`),
      );
    }
  }

  /** `msg.end` went out: settle `done`. */
  settled(messageId: string, reason: WireEndReason): void {
    const state = this.runs.get(messageId);
    if (!state) return;
    this.runs.delete(messageId);
    state.resolveDone(reason);
  }

  /** Aborts every run (shutdown). */
  abortAll(): void {
    for (const state of this.runs.values())
      state.controller.abort(new SpoolError('ABORTED', 'The server is shutting down.'));
  }
}
