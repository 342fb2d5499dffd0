import type { SpoolClient, Subscription } from '@spool/client';
import { type MessageWriter, openMessage } from '@spool/client/producer';
import { channelTopic, type WireEndReason } from '@spool/core';
import {
  CHAT_CHANNEL_TYPE,
  type ChatRole,
  type PromptRequest,
  parseChatRequest,
  REQUESTS_TOPIC,
  RUNS_TOPIC,
  type RunRecord,
} from '../src/chat-requests';
import type { ChatTurn, ReplyModel } from './reply-model';

export interface ChatProducerOptions {
  /** Turns of a room's conversation handed to the model. @default 20 */
  maxTurns?: number;
  /** Rooms whose conversation is remembered; the least recent is forgotten first. @default 1000 */
  maxRooms?: number;
  /** Where the producer says what it did and what went wrong. @default console.log */
  log?: (line: string) => void;
}

export const chatProducerDefaults = { maxTurns: 20, maxRooms: 1000 } as const;

interface Run {
  controller: AbortController;
  writer: MessageWriter;
  /** The producer itself is ending the message: its own `msg.end` is no cancel from elsewhere. */
  finishing: boolean;
}

/**
 * The example's producer: listens for {@link REQUESTS_TOPIC} requests and answers each
 * question in its room (`chan:1:<room>`), streaming the model's reply token by token
 * through a `MessageWriter` (paced, nothing dropped; docs/protocol.md "Producing a long
 * message"). A stop request aborts the model's signal and cancels the message
 * (`msg.cancel`); a reply cancelled from anywhere else (the dashboard, `POST
 * /v1/messages/:id/end`) aborts the model too, because the producer follows the room's
 * topic while it writes. Each reply's end is reported on {@link RUNS_TOPIC}.
 *
 * Requests are followed live: a request published while no producer runs gets no reply,
 * and the page keeps showing it as waiting. A producer that must answer those too reads
 * requests from a consumer group instead (docs/recipes/consumer-group-worker.md).
 *
 * @example
 * const producer = new ChatProducer(client, fakeModel());
 * producer.start();
 */
export class ChatProducer {
  readonly #runs = new Map<string, Run>();
  readonly #rooms = new Map<string, ChatTurn[]>();
  readonly #working = new Set<Promise<void>>();
  /** Per room, the last request queued: the next one runs after it. */
  readonly #tails = new Map<string, Promise<void>>();
  readonly #options: Required<ChatProducerOptions>;
  #requests: Subscription | undefined;
  #closing = false;

  constructor(
    readonly client: SpoolClient,
    readonly model: ReplyModel,
    options: ChatProducerOptions = {},
  ) {
    this.#options = { ...chatProducerDefaults, log: console.log, ...options };
  }

  /** Replies being written now. */
  get active(): number {
    return this.#runs.size;
  }

  /** Starts following requests (from now on). */
  start(): void {
    if (this.#requests) return;
    this.#requests = this.client.subscribe(REQUESTS_TOPIC, {
      onEvent: (ev) => this.#handle(ev.data),
      onError: (err) => this.#options.log(`requests subscription failed: ${err.code} ${err.message}`),
    });
  }

  /**
   * Stops following requests and cancels the replies being written, and those queued
   * behind them as they start; resolves once every one has ended.
   */
  async close(): Promise<void> {
    this.#closing = true;
    this.#requests?.unsubscribe();
    this.#requests = undefined;
    for (const messageId of this.#runs.keys()) this.#stop(messageId);
    while (this.#working.size > 0) await Promise.all(this.#working);
  }

  #handle(data: unknown): void {
    const request = parseChatRequest(data);
    if (!request) {
      this.#options.log(`ignored a request that is not one: ${JSON.stringify(data)}`);
    } else if (request.type === 'stop') {
      this.#stop(request.messageId);
    } else if (request.text.trim() === '') {
      this.#options.log(`ignored an empty question (request ${request.requestId})`);
    } else {
      // One reply at a time per room, in the order asked: a question asked while a reply is
      // being written waits for it, so replies never interleave and each sees the last one.
      const { room } = request;
      const work = (this.#tails.get(room) ?? Promise.resolve())
        .then(() => this.#answer(request))
        .catch((err: unknown) => this.#options.log(`request ${request.requestId} failed: ${String(err)}`));
      this.#tails.set(room, work);
      this.#working.add(work);
      void work.finally(() => {
        this.#working.delete(work);
        if (this.#tails.get(room) === work) this.#tails.delete(room);
      });
    }
  }

  /** Aborts the model; the reply's loop then cancels the message. A reply of another producer: nothing to do. */
  #stop(messageId: string): void {
    this.#runs.get(messageId)?.controller.abort();
  }

  async #answer(request: PromptRequest): Promise<void> {
    const { room } = request;
    const meta = (role: ChatRole, fields: Record<string, string>) => ({
      channelId: room,
      channelType: CHAT_CHANNEL_TYPE,
      fromUid: role,
      customFields: { role, ...fields },
    });

    // The question goes into the room first, so every tab shows it with its reply.
    const question = openMessage(this.client, meta('user', { requestId: request.requestId }));
    const askedAt = await question.append(request.text);
    await question.end();

    const conversation = this.#conversation(room);
    conversation.push({ role: 'user', text: request.text });
    const reply = openMessage(this.client, meta('assistant', { replyTo: question.messageId }));
    const run: Run = { controller: new AbortController(), writer: reply, finishing: false };
    this.#runs.set(reply.messageId, run);
    if (this.#closing) run.controller.abort();

    // Follow the room from the question on: the reply's own `msg.end` names how it really
    // ended, whoever ended it, and one that the producer did not send aborts the model.
    let ended!: (reason: WireEndReason) => void;
    const endReason = new Promise<WireEndReason>((resolve) => (ended = resolve));
    let sentEnd!: (reason: WireEndReason) => void;
    const settled = new Promise<WireEndReason>((resolve) => (sentEnd = resolve));
    const watch = this.client.subscribe(channelTopic(CHAT_CHANNEL_TYPE, room), {
      after: askedAt,
      onEvent: (ev) => {
        const data = ev.data as { messageId?: string; reason?: WireEndReason };
        if (ev.event !== 'msg.end' || data.messageId !== reply.messageId) return;
        if (!run.finishing) run.controller.abort();
        ended(data.reason ?? 'success');
      },
      // Refused the room: the reply goes on, and its reason is the one the producer sent (a
      // cancel from elsewhere then shows only as a refused chunk, which ends it with `error`).
      onError: (err) => {
        this.#options.log(`following ${room} failed: ${err.code} ${err.message}`);
        void settled.then(ended);
      },
    });

    let text = '';
    let tokens = 0;
    const { signal } = run.controller;
    try {
      for await (const token of this.model([...conversation], signal)) {
        if (signal.aborted) break;
        // Awaited: the model runs no further ahead than the network takes its tokens.
        await reply.append(token);
        text += token;
        tokens++;
      }
      run.finishing = true;
      if (signal.aborted) await reply.cancel();
      else await reply.end();
      sentEnd(signal.aborted ? 'cancelled' : 'success');
    } catch (err) {
      // The model threw, or a chunk finally failed (the writer then ended the message with
      // `error` itself), or the message was ended elsewhere. `end('error')` is refused in the
      // last two cases; the room's `msg.end` says what happened either way.
      run.finishing = true;
      this.#options.log(`reply ${reply.messageId} failed: ${String(err)}`);
      await reply.end('error').catch(() => {});
      sentEnd('error');
    }

    const reason = await endReason;
    watch.unsubscribe();
    this.#runs.delete(reply.messageId);
    conversation.push({ role: 'assistant', text });
    this.#trim(conversation);
    const record: RunRecord = {
      messageId: reply.messageId,
      room,
      outcome: reason,
      aborted: signal.aborted,
      tokens,
    };
    this.#options.log(`reply ${record.messageId} in ${room}: ${reason}, ${tokens} tokens`);
    await this.client.publish(RUNS_TOPIC, record);
  }

  /** The room's remembered turns, now its most recent room. */
  #conversation(room: string): ChatTurn[] {
    const turns = this.#rooms.get(room) ?? [];
    this.#rooms.delete(room);
    this.#rooms.set(room, turns);
    if (this.#rooms.size > this.#options.maxRooms) this.#rooms.delete(this.#rooms.keys().next().value!);
    return turns;
  }

  #trim(turns: ChatTurn[]): void {
    if (turns.length > this.#options.maxTurns) turns.splice(0, turns.length - this.#options.maxTurns);
  }
}
