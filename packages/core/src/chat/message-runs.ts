import { SpoolError } from '../errors';
import { chunkPacer } from '../flow/chunk-pacer';
import { channelTopic, type WireEndReason, type WireOpenMeta } from '../protocol/messages';
import type { Clock } from '../time/clock';
import type { ChatPrincipal } from './chat-principal';
import type { ProducerOps } from './producer-ops';

/**
 * The work function of `spool.run`: it writes the
 * message chunk by chunk and returns (success) or throws (error). `signal` aborts when the
 * message is cancelled from elsewhere (`msg.cancel`, a channel end, a timeout, shutdown),
 * and when a chunk finally failed (the message then ends with `error`).
 *
 * `write` is paced like the client's writer: awaiting it is backpressure; not awaiting it
 * is safe (text written while a chunk is being applied merges into the next one, up to 4
 * MiB waiting) and never an unhandled rejection. It resolves with the `msg.delta` event ID.
 */
export type RunWork = (
  write: (chunk: string | Uint8Array) => Promise<string>,
  signal: AbortSignal,
) => void | Promise<void>;

/** A running message: its IDs, its end, and a way to cancel it. */
export interface RunHandle {
  /** The message's ID (decimal string). */
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

/** What {@link MessageRuns} drives: the chat producer, called with the server's own principal (`ChatAccess.system`). */
export interface RunTarget extends Pick<ProducerOps, 'open' | 'end'> {
  /** Appends one chunk; resolves with the `msg.delta` event ID. */
  append(
    messageId: string,
    chunkId: number,
    payload: string | Uint8Array,
    principal: ChatPrincipal,
  ): Promise<string>;
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

  /**
   * @param target the chat producer
   * @param system the principal every run writes as: the server's own (`ChatAccess.system`)
   * @param clock what paces the chunks
   */
  constructor(
    private readonly target: RunTarget,
    private readonly system: ChatPrincipal,
    private readonly clock?: Clock,
  ) {}

  /** Runs whose message has not settled yet. */
  get active(): number {
    return this.runs.size;
  }

  /**
   * Opens a message and runs `work` on it; resolves once `msg.open` is on the topic.
   * @throws SpoolError `INVALID_OPTION` (no work function), and the producer's open codes
   */
  async start(meta: WireOpenMeta, work: RunWork): Promise<RunHandle> {
    if (typeof work !== 'function') {
      throw new SpoolError(
        'INVALID_OPTION',
        '`spool.run(meta, work)`: `work` must be a function (write, signal) => Promise<void>.',
      );
    }
    const { messageId, id } = await this.target.open(meta, this.system);
    const topic = channelTopic(meta.channelType, meta.channelId);
    const controller = new AbortController();
    let resolveDone!: (reason: WireEndReason) => void;
    const done = new Promise<WireEndReason>((resolve) => {
      resolveDone = resolve;
    });
    const state: RunState = { controller, resolveDone, ending: false };
    this.runs.set(messageId, state);

    const end = (reason: WireEndReason) =>
      this.target.end(messageId, reason, this.system).catch(() => {
        // Already ended elsewhere (a cancel raced the work's return): the end event settles `done`.
      });
    const finish = async (reason: WireEndReason) => {
      if (state.ending || controller.signal.aborted) return;
      state.ending = true;
      await pacer.drained();
      // A chunk that finally failed leaves a hole: never `success` then.
      await end(pacer.failure === undefined ? reason : 'error');
    };
    // One chunk applied at a time keeps the deltas in order on the topic; what the work
    // writes meanwhile merges into the next chunk.
    const pacer = chunkPacer(
      (chunkId, payload) => this.target.append(messageId, chunkId, payload, this.system),
      {
        window: 1,
        clock: this.clock,
        onFail: (err) => {
          void finish('error');
          controller.abort(err);
        },
      },
    );
    const write = (chunk: string | Uint8Array): Promise<string> => {
      if (controller.signal.aborted || state.ending) {
        const closed = Promise.reject(
          new SpoolError('STREAM_CLOSED', `Message ${messageId} has ended; stop writing.`),
        );
        closed.catch(() => {});
        return closed;
      }
      if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
        pacer.fail(
          new SpoolError('INVALID_PAYLOAD', `\`write\` takes a string or a Uint8Array, got ${typeof chunk}.`),
        );
      }
      return pacer.push(chunk) as Promise<string>;
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
        await end('cancelled');
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

  /**
   * Cluster mode: another instance owns the message now (docs/architecture.md, "Messages
   * across instances"). The work is aborted with `FENCED` and `done` settles with `error`:
   * the new owner ends the message.
   */
  fenced(messageId: string, err: SpoolError): void {
    const state = this.runs.get(messageId);
    if (!state) return;
    state.ending = true;
    state.controller.abort(err);
    this.runs.delete(messageId);
    state.resolveDone('error');
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
