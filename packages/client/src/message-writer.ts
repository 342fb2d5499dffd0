import {
  type ChunkPacer,
  type ChunkPacerOptions,
  type ClientMessage,
  chunkPacer,
  SpoolError,
  type WireEndReason,
  type WireOpenMeta,
} from '@spool/core';
import { handledRejection } from '@spool/core/internal';

/** The client's request function: sends a frame (with a fresh `ref`) and resolves with its ack. */
export type SendRequest = (frame: ClientMessage) => Promise<{ id?: string; messageId?: string }>;

/**
 * Options of {@link MessageWriter} (`SpoolProducer.openMessage(meta, options)`): the pacing of
 * core's `ChunkPacer`, whose defaults apply (`chunkPacerDefaults`: a window of 256 chunks
 * in flight, text merged up to 16 KiB per chunk behind it, at most 4 MiB waiting, 8
 * resends of a chunk refused for rate).
 */
export type MessageWriterOptions = Pick<
  ChunkPacerOptions,
  'window' | 'maxChunkSize' | 'maxQueuedSize' | 'maxRetries' | 'clock'
>;

const noop = () => {};

/**
 * Writes one chat message from the client with the `msg.*` operations: for remote LLM
 * workers and for chat UIs that send. Nothing is dropped (docs/protocol.md "Producing a
 * long message"):
 * - at most `window` chunks await their ack; the rest wait in the writer's own bounded
 *   queue, where text merges into bigger chunks, so a fast producer needs no `await`;
 * - a chunk refused for rate is sent again, before any chunk not sent yet, after the
 *   `retryAfterMs` the server names;
 * - after a reconnect, the message is opened again (the idempotent retry, which also puts
 *   its appends under the new connection's window) and unacknowledged chunks are sent
 *   again; the server's duplicate check makes each apply once;
 * - a chunk that finally fails ends the message with reason `error`, and `end()` rejects
 *   with that chunk's error: never `success` with a hole.
 * `append`'s promise may be awaited for backpressure; not awaiting it is safe (no
 * unhandled rejection). The message ID is chosen here, so a retried open names the same message.
 *
 * @example
 * const w = producer.openMessage({ channelId: 'general', channelType: 1 });
 * for await (const token of llm) w.append(token);
 * await w.end();
 */
export class MessageWriter {
  /** The message's ID, known at once (decimal string). */
  readonly messageId: string;
  /** Resolves once the server has opened the message. */
  readonly opened: Promise<void>;
  #meta: WireOpenMeta;
  #pacer: ChunkPacer;
  /** The event ID of `msg.open`: a re-open must answer the same one, or the server lost the message. */
  #openId: string | undefined;
  /** `end()` or `cancel()` was called. */
  #finished = false;
  /** The end went out, or the writer failed: no re-open any more. */
  #over = false;

  constructor(
    /** The client's request function the writer sends its `msg.*` frames with. */
    readonly send: SendRequest,
    meta: WireOpenMeta,
    random: () => number = Math.random,
    options: MessageWriterOptions = {},
  ) {
    // A snowflake-like ID: milliseconds then 21 random bits, well inside 63 bits. A given
    // ID is checked by the server (INVALID_MESSAGE_ID), so no validation code ships here.
    this.messageId = String(
      meta.messageId ?? BigInt(Date.now()) * 2097152n + BigInt(Math.floor(random() * 2097152)),
    );
    this.#meta = { ...meta, messageId: this.messageId };
    const messageId = this.messageId;
    this.#pacer = chunkPacer(
      (chunkId, text, attempt) =>
        this.opened
          .then(() => send({ op: 'msg.append', ref: 0, messageId, chunkId, text: text as string }))
          .then(
            (ack) => ack.id,
            (err: SpoolError) => {
              // Sent again after a refusal: a duplicate means an earlier copy was applied.
              if (attempt > 1 && err.code === 'DUPLICATE_CHUNK') return undefined;
              throw err;
            },
          ),
      {
        ...options,
        onFail: () => {
          this.#over = true;
          // The message cannot be whole: end it as `error` (best effort; `end()` reports the failure).
          this.opened.then(() => send({ op: 'msg.end', ref: 0, messageId, reason: 'error' })).catch(noop);
        },
      },
    );
    this.opened = send({ op: 'msg.open', ref: 0, meta: this.#meta }).then((ack) => {
      this.#openId = ack.id;
    });
    this.opened.catch((err: unknown) => this.#pacer.fail(err));
  }

  /**
   * Appends text; resolves with the delta's event ID once acknowledged (text merged into one
   * chunk shares it). Await it to follow the network, or don't: the writer paces itself.
   */
  append(text: string): Promise<string | undefined> {
    return this.#finished ? this.#closed() : this.#pacer.push(text);
  }

  /**
   * Ends the message once every chunk is acknowledged. Rejects with the error of a chunk
   * that finally failed (the message then ended with reason `error`).
   * @default reason 'success'
   */
  end(reason: WireEndReason = 'success'): Promise<void> {
    return this.#finish({ op: 'msg.end', ref: 0, messageId: this.messageId, reason });
  }

  /** Cancels the message (it ends with reason `cancelled`). */
  cancel(): Promise<void> {
    return this.#finish({ op: 'msg.cancel', ref: 0, messageId: this.messageId });
  }

  /** False once the message's end went out, or the writer failed. */
  get live(): boolean {
    return !this.#over;
  }

  /**
   * The client got a new connection: opens the message again on it (the idempotent retry),
   * ahead of the chunks it sends again. Returns false once the writer needs it no more.
   */
  reopen(): boolean {
    if (this.#over) return false;
    if (this.#openId !== undefined) {
      this.send({ op: 'msg.open', ref: 0, meta: this.#meta })
        .then((ack) => {
          if (ack.id !== this.#openId)
            throw new SpoolError('STREAM_NOT_FOUND', `Message ${this.messageId} lost by the server`);
        })
        .catch((err: unknown) => this.#pacer.fail(err));
    }
    return true;
  }

  #finish(frame: ClientMessage): Promise<void> {
    if (this.#finished) return this.#closed();
    this.#finished = true;
    const done = this.#pacer
      .drained()
      .then(() => this.opened)
      .then(() => {
        if (this.#pacer.failure !== undefined) throw this.#pacer.failure;
        this.#over = true;
        return this.send(frame);
      })
      .then(noop);
    done.catch(noop);
    return done;
  }

  #closed(): Promise<never> {
    return handledRejection(new SpoolError('STREAM_CLOSED', `Message ${this.messageId} already ended`));
  }
}
