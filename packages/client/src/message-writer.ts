import { type ClientMessage, SpoolError, type WireEndReason, type WireOpenMeta } from '@spool/core';

/** The client's request function: sends a frame (with a fresh `ref`) and resolves with its ack. */
export type SendRequest = (frame: ClientMessage) => Promise<{ id?: string; messageId?: string }>;

/**
 * Writes one chat message from the client with the `msg.*` operations: for remote LLM
 * workers and for chat UIs that send. Chunks are numbered from 0 in call order; after a
 * reconnect an unacknowledged operation is sent again and the server's duplicate check
 * (`DUPLICATE_CHUNK`, `STREAM_EXISTS`) makes it apply once, so no chunk is ever doubled.
 * The message ID is chosen here, not by the server, so that a retried `msg.open` names
 * the same message.
 *
 * @example
 * const w = client.openMessage({ channelId: 'general', channelType: 1 });
 * for await (const token of llm) w.append(token);
 * await w.end();
 */
export class MessageWriter {
  /** The message's ID, known at once (decimal string). */
  readonly messageId: string;
  /** Resolves once the server has opened the message. */
  readonly opened: Promise<void>;
  #next = 0;
  #tail: Promise<unknown>;
  #finished = false;

  constructor(
    readonly send: SendRequest,
    meta: WireOpenMeta,
    random: () => number = Math.random,
  ) {
    // A snowflake-like ID: milliseconds then 21 random bits, well inside 63 bits. A given
    // ID is checked by the server (INVALID_MESSAGE_ID), so no validation code ships here.
    this.messageId = String(
      meta.messageId ?? BigInt(Date.now()) * 2097152n + BigInt(Math.floor(random() * 2097152)),
    );
    this.opened = send({ op: 'msg.open', ref: 0, meta: { ...meta, messageId: this.messageId } }).then(
      () => {},
    );
    this.#tail = this.opened.catch(() => {});
  }

  /** Appends the next chunk; resolves with the delta's event ID. */
  append(text: string): Promise<string | undefined> {
    if (this.#finished) return this.#closed();
    const chunkId = this.#next++;
    // Every append waits for the open only, not for the previous append: appends are
    // pipelined, and the order of sending is the order of the calls.
    const p = this.opened.then(() =>
      this.send({ op: 'msg.append', ref: 0, messageId: this.messageId, chunkId, text }),
    );
    this.#tail = Promise.allSettled([this.#tail, p]);
    return p.then((ack) => ack.id);
  }

  /** Ends the message once every chunk is acknowledged. @default reason 'success' */
  end(reason: WireEndReason = 'success'): Promise<void> {
    return this.#finish({ op: 'msg.end', ref: 0, messageId: this.messageId, reason });
  }

  /** Cancels the message (it ends with reason `cancelled`). */
  cancel(): Promise<void> {
    return this.#finish({ op: 'msg.cancel', ref: 0, messageId: this.messageId });
  }

  #finish(frame: ClientMessage): Promise<void> {
    if (this.#finished) return this.#closed();
    this.#finished = true;
    return this.#tail.then(() => this.opened).then(() => this.send(frame).then(() => {}));
  }

  #closed(): Promise<never> {
    return Promise.reject(
      new SpoolError(
        'STREAM_CLOSED',
        `Message ${this.messageId} was already ended or cancelled by this writer.`,
      ),
    );
  }
}
