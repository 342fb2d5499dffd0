/**
 * The workload: producers writing LLM-like replies through the SDK's MessageWriter, and
 * the check every subscriber runs on what it received, event by event: IDs strictly
 * increasing (no duplicate, nothing out of order), each message's deltas exactly its
 * chunks in order, and its assembled text exactly the produced text.
 */

import type { SpoolClient } from '@spool/client';
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
  /** Settles with the writer's `end()`: resolves when the end was acknowledged. */
  ended: Promise<void>;
}

/**
 * Writes one reply of `chunks` tokens on a channel, never awaiting more than `inFlight`
 * appends at once (LLM pacing); `pause` is called between tokens.
 */
export async function produceReply(
  producer: SpoolClient,
  channelId: string,
  chunks: number,
  random: () => number,
  options: { inFlight?: number; pause?: () => Promise<void> } = {},
): Promise<ProducedReply> {
  const w = producer.openMessage({ channelId, channelType: 1, fromUid: 'llm' });
  const texts: string[] = [];
  const pending: Array<Promise<unknown>> = [];
  for (let i = 0; i < chunks; i++) {
    const token = llmToken(random, i);
    texts.push(token);
    pending.push(w.append(token));
    if (pending.length >= (options.inFlight ?? 16)) await Promise.all(pending.splice(0));
    if (options.pause) await options.pause();
  }
  await Promise.all(pending);
  const ended = w.end();
  // Observed by the caller; never an unhandled rejection.
  ended.catch(() => {});
  return { messageId: w.messageId, chunks: texts, text: texts.join(''), ended };
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
  #last: { ms: number; seq: number } | undefined;

  constructor(readonly name: string) {}

  /** After a `reset`, the position moves to just below `earliest` (docs/protocol.md, "The resume rule"). */
  reset(earliest: string): void {
    this.resets++;
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
    const view = this.#view(data.messageId);
    if (e.event === 'msg.delta') {
      const d = data as MsgDeltaData;
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
      v = { chunkIds: [], text: '', ended: undefined, snapshot: false };
      this.messages.set(messageId, v);
    }
    return v;
  }

  /** True once the message has ended here. */
  ended(messageId: string): boolean {
    return this.messages.get(messageId)?.ended !== undefined;
  }

  /** Compares a finished message with what its producer wrote; records a violation if not equal. */
  verify(reply: ProducedReply, reason = 'success'): void {
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
