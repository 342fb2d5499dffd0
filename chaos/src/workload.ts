/**
 * The workload: producers writing LLM-like replies through the SDK's MessageWriter, and
 * the check every subscriber runs on what it received, event by event: IDs strictly
 * increasing (no duplicate, nothing out of order), each message's deltas exactly its
 * chunks in order, and its assembled text exactly the produced text.
 */

import type { SpoolClient } from '@spool/client';
import { openMessage } from '@spool/client/producer';
import type { MsgDeltaData, MsgEndData, MsgSnapshotData } from '@spool/core';
import { between } from './seed';

/** A token as an LLM emits them: words, punctuation, and multibyte characters a cut could split. */
const TOKENS = [
  ' the',
  ' stream',
  ' résumé',
  ' 😀',
  ' €',
  ' token',
  ',',
  '.',
  ' naïve',
  ' 東京',
  '\n',
  ' ok',
];

export function llmToken(random: () => number, i: number): string {
  return `${TOKENS[between(random, 0, TOKENS.length - 1)]}${i % 50 === 0 ? `[${i}]` : ''}`;
}

export interface ProducedReply {
  messageId: string;
  /** The chunk texts in order, as the producer wrote them. */
  chunks: string[];
  text: string;
}

export interface ReplyOptions {
  /** Appends awaited at most at once (LLM pacing). @default 16 */
  inFlight?: number;
  /** Called between tokens. */
  pause?: () => Promise<void>;
}

/** A reply being written: its chunks so far, and how its writer finished. */
export interface LiveReply {
  messageId: string;
  chunks: string[];
  readonly text: string;
  /** Stops writing more tokens (the writer then ends the message). */
  stop(): void;
  /** Settles when `end()` settled: `error` is its rejection (or an append's), if any. */
  finished: Promise<{ error?: unknown }>;
}

/**
 * Starts writing one reply of up to `chunks` tokens on a channel through the SDK's
 * MessageWriter, then ends it. A failed append or end is reported in `finished`, never
 * thrown: the restart scenarios expect it.
 */
export function startReply(
  producer: SpoolClient,
  channelId: string,
  chunks: number,
  random: () => number,
  options: ReplyOptions = {},
): LiveReply {
  const w = openMessage(producer, { channelId, channelType: 1, fromUid: 'llm' });
  const texts: string[] = [];
  let stopped = false;
  const run = async (): Promise<{ error?: unknown }> => {
    let failure: unknown;
    const pending: Array<Promise<unknown>> = [];
    const settle = async () => {
      for (const r of await Promise.allSettled(pending.splice(0)))
        if (r.status === 'rejected') failure ??= r.reason;
    };
    for (let i = 0; i < chunks && !stopped && failure === undefined; i++) {
      const token = llmToken(random, i);
      texts.push(token);
      pending.push(w.append(token));
      if (pending.length >= (options.inFlight ?? 16)) await settle();
      if (options.pause) await options.pause();
    }
    await settle();
    try {
      await w.end();
    } catch (err) {
      failure ??= err;
    }
    return failure === undefined ? {} : { error: failure };
  };
  return {
    messageId: w.messageId,
    chunks: texts,
    get text() {
      return texts.join('');
    },
    stop: () => {
      stopped = true;
    },
    finished: run(),
  };
}

/** Writes a whole reply and resolves once its end was acknowledged; throws what the writer threw. */
export async function produceReply(
  producer: SpoolClient,
  channelId: string,
  chunks: number,
  random: () => number,
  options: ReplyOptions = {},
): Promise<ProducedReply> {
  const reply = startReply(producer, channelId, chunks, random, options);
  const { error } = await reply.finished;
  if (error !== undefined) throw error;
  return { messageId: reply.messageId, chunks: reply.chunks, text: reply.text };
}

/** The part of an event the check needs (SDK events, eventsource MessageEvents). */
export interface CheckedEvent {
  id: string;
  event: string;
  data: unknown;
}

interface MessageView {
  chunkIds: number[];
  text: string;
  ended: MsgEndData | undefined;
  snapshot: boolean;
  /** The reset epoch the view belongs to. */
  epoch: number;
  /** How the message looked when a later epoch opened it again. */
  before?: { text: string; ended: MsgEndData | undefined };
}

/**
 * One subscriber's record. `violations` lists every broken rule (must stay empty);
 * messages seen only through a snapshot (compact catch-up) are assembled from it.
 */
export class SubscriberCheck {
  readonly violations: string[] = [];
  readonly messages = new Map<string, MessageView>();
  events = 0;
  resets = 0;
  /** Bumped by each reset: a server that lost its history may see a message ID opened again. */
  #epoch = 0;
  #last: { ms: number; seq: number } | undefined;

  constructor(readonly name: string) {}

  /** After a `reset`, the position moves to just below `earliest` (docs/protocol.md, "The resume rule"). */
  reset(earliest: string): void {
    this.resets++;
    this.#epoch++;
    const [ms, seq] = earliest.split('-').map(Number) as [number, number];
    this.#last = seq > 0 ? { ms, seq: seq - 1 } : { ms: ms - 1, seq: Number.MAX_SAFE_INTEGER };
  }

  add(e: CheckedEvent): void {
    this.events++;
    const [ms, seq] = e.id.split('-').map(Number) as [number, number];
    const last = this.#last;
    if (last && !(ms > last.ms || (ms === last.ms && seq > last.seq)))
      this.violations.push(`${this.name}: event ${e.id} after ${last.ms}-${last.seq}`);
    this.#last = { ms, seq };
    const data = e.data as { messageId?: string };
    if (typeof data?.messageId !== 'string') return;
    let view = this.#view(data.messageId);
    if (e.event === 'msg.open' && view.epoch < this.#epoch) {
      // After a reset the new history may open the same ID again (a memory-mode restart
      // lost it; its producer re-opened it): a new view, the old one kept as `before`.
      const before = { text: view.text, ended: view.ended };
      view = { chunkIds: [], text: '', ended: undefined, snapshot: false, epoch: this.#epoch, before };
      this.messages.set(data.messageId, view);
    } else if (e.event === 'msg.open' && view.chunkIds.length > 0) {
      this.violations.push(`${this.name}: message ${data.messageId} opened again without a reset`);
    }
    if (e.event === 'msg.delta') {
      const d = data as MsgDeltaData;
      if (view.before) {
        // A message re-opened by the new history after a reset: its producer's writer may
        // send again the chunks the lost server never acknowledged, so a gap is allowed
        // here, and the text is what the protocol's assembly rule gives (docs/protocol.md:
        // by chunkId, up to the first missing one).
        view.chunkIds.push(d.chunkId);
        if (d.chunkId === view.chunkIds.length - 1) view.text += d.text ?? '';
        return;
      }
      const expected = view.chunkIds.length === 0 ? (view.snapshot ? -1 : 0) : view.chunkIds.at(-1)! + 1;
      if (expected !== -1 && d.chunkId !== expected)
        this.violations.push(`${this.name}: message ${d.messageId} chunk ${d.chunkId}, expected ${expected}`);
      view.chunkIds.push(d.chunkId);
      view.text += d.text ?? '';
    } else if (e.event === 'msg.snapshot') {
      const s = data as MsgSnapshotData;
      view.snapshot = true;
      view.text = s.text ?? '';
      view.chunkIds = s.lastChunkId === undefined || s.lastChunkId < 0 ? [] : [s.lastChunkId];
      if (s.status === 'ended') view.ended = { messageId: s.messageId, reason: s.reason!, persisted: true };
    } else if (e.event === 'msg.end') {
      if (view.ended) this.violations.push(`${this.name}: message ${data.messageId} ended twice`);
      view.ended = data as MsgEndData;
    }
  }

  #view(messageId: string): MessageView {
    let v = this.messages.get(messageId);
    if (!v) {
      v = { chunkIds: [], text: '', ended: undefined, snapshot: false, epoch: this.#epoch };
      this.messages.set(messageId, v);
    }
    return v;
  }

  /** Delta events of a message received here. */
  deltas(messageId: string): number {
    return this.messages.get(messageId)?.chunkIds.length ?? 0;
  }

  /** The text of a message as assembled here (`before`: as it stood before a reset re-opened it). */
  text(messageId: string, before = false): string {
    const v = this.messages.get(messageId);
    return (before && v?.before ? v.before.text : v?.text) ?? '';
  }

  /** How the message ended here (undefined: not ended); `before` as in {@link text}. */
  endReason(messageId: string, before = false): string | undefined {
    const v = this.messages.get(messageId);
    return (before && v?.before ? v.before.ended : v?.ended)?.reason;
  }

  /** True when a reset's new history opened this message again. */
  reopened(messageId: string): boolean {
    return this.messages.get(messageId)?.before !== undefined;
  }

  /** True once the message has ended here. */
  ended(messageId: string): boolean {
    return this.messages.get(messageId)?.ended !== undefined;
  }

  /** Compares a finished message with what its producer wrote; records a violation if not equal. */
  verify(reply: Pick<ProducedReply, 'messageId' | 'text'>, reason = 'success'): void {
    const v = this.messages.get(reply.messageId);
    if (!v) {
      this.violations.push(`${this.name}: message ${reply.messageId} never seen`);
      return;
    }
    if (v.text !== reply.text)
      this.violations.push(
        `${this.name}: message ${reply.messageId} text differs at ${firstDifference(v.text, reply.text)} (${v.text.length} vs ${reply.text.length} chars)`,
      );
    if (v.ended?.reason !== reason)
      this.violations.push(
        `${this.name}: message ${reply.messageId} ended ${v.ended?.reason}, expected ${reason}`,
      );
  }
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
