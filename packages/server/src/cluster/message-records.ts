import { SpoolError, type WireEndReason, type WireStreamMeta } from '@spool/core';
import type { OpenMessageRecord, RecordedChunk } from '@spool/core/internal';
import { joinChunks } from '@spool/core/internal';
import type { Redis } from 'ioredis';
import { toSpoolError } from '../broker/redis-errors';
import type { InstanceRef } from './membership';
import {
  ABANDON_LUA,
  APPEND_LUA,
  CLAIM_LUA,
  FINISH_LUA,
  GUARD_LUA,
  KEEP_LUA,
  PLACE_LUA,
  TAKE_LUA,
} from './message-scripts';

type Scripted = Redis & {
  spoolMsgClaim(...args: (string | number)[]): Promise<string[]>;
  spoolMsgAppend(...args: (string | number)[]): Promise<string>;
  spoolMsgGuard(...args: (string | number)[]): Promise<string>;
  spoolMsgFinish(...args: (string | number)[]): Promise<string>;
  spoolMsgAbandon(...args: (string | number)[]): Promise<string>;
  spoolMsgTake(...args: (string | number)[]): Promise<string>;
  spoolMsgKeep(...args: (string | number)[]): Promise<string>;
  spoolMsgPlace(...args: (string | number)[]): Promise<string>;
};

/** What a claim found (see {@link MessageRecords.claim}). */
export type ClaimOutcome =
  | { kind: 'new' }
  | { kind: 'here' }
  | { kind: 'moved'; from: InstanceRef; firstEventId: string; meta: WireStreamMeta };

/** Where the owner's deltas of a message landed: chunks 0..chunkId, the last at eventId. */
export interface PlacedChunk {
  chunkId: number;
  eventId: string;
}

/** An open message as a snapshot places it (see {@link MessageRecords.snapshots}). */
export interface RecordSnapshot {
  messageId: string;
  meta: WireStreamMeta;
  /** Exactly chunks 0..lastChunkId. */
  text: string;
  lastChunkId: number;
  firstEventId: string;
  /** The delta of chunk lastChunkId (the `msg.open` when -1). */
  lastEventId: string;
}

/** The owner of an open message, as its record names it. */
export interface RecordOwner extends InstanceRef {
  topic: string;
}

/** How long an ended message's record stays, refusing a re-open on every instance (s). */
export const ENDED_WINDOW_SECONDS = 86_400;

/**
 * The message owner records in Redis (docs/architecture.md, "Messages across instances"):
 * one hash per open message, `{instanceId, incarnation}` plus what reads need, its chunks in
 * a second hash, and the set of open message IDs. Every write checks the owner in the same
 * script and refuses a stale incarnation with `FENCED`.
 *
 * Keys, under the prefix: `msg:{<id>}` (record), `msg:{<id>}:chunks`, `msgs:open`. A message's
 * two keys share one hash tag; the open set is one key for every message.
 *
 * @example
 * const records = new MessageRecords(redis, 'spool:', membership.self);
 * await records.claim(id, 'chan:1:general', meta, 'alice');
 */
export class MessageRecords {
  private readonly redis: Scripted;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly self: InstanceRef,
    private readonly endedWindowSeconds = ENDED_WINDOW_SECONDS,
  ) {
    redis.defineCommand('spoolMsgClaim', { numberOfKeys: 2, lua: CLAIM_LUA });
    redis.defineCommand('spoolMsgAppend', { numberOfKeys: 2, lua: APPEND_LUA });
    redis.defineCommand('spoolMsgGuard', { numberOfKeys: 1, lua: GUARD_LUA });
    redis.defineCommand('spoolMsgFinish', { numberOfKeys: 3, lua: FINISH_LUA });
    redis.defineCommand('spoolMsgAbandon', { numberOfKeys: 2, lua: ABANDON_LUA });
    redis.defineCommand('spoolMsgTake', { numberOfKeys: 1, lua: TAKE_LUA });
    redis.defineCommand('spoolMsgKeep', { numberOfKeys: 1, lua: KEEP_LUA });
    redis.defineCommand('spoolMsgPlace', { numberOfKeys: 1, lua: PLACE_LUA });
    this.redis = redis as Scripted;
  }

  /** Redis's own failures as SpoolErrors (`BROKER_UNAVAILABLE` when it cannot be reached). */
  private async io<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      throw toSpoolError(err, this.prefix);
    }
  }

  private rec(id: string): string {
    return `${this.prefix}msg:{${id}}`;
  }
  private chunksKey(id: string): string {
    return `${this.prefix}msg:{${id}}:chunks`;
  }
  private get openKey(): string {
    return `${this.prefix}msgs:open`;
  }

  /** Creates the record naming this incarnation, or moves an open one here (same principal and topic). */
  async claim(
    messageId: string,
    topic: string,
    meta: WireStreamMeta,
    principalId: string,
  ): Promise<ClaimOutcome> {
    const { instanceId, incarnation } = this.self;
    const r = await this.io(
      this.redis.spoolMsgClaim(
        this.rec(messageId),
        this.openKey,
        instanceId,
        incarnation,
        topic,
        JSON.stringify(meta),
        principalId,
        Date.now(),
        messageId,
      ),
    );
    switch (r[0]) {
      case 'NEW':
        return { kind: 'new' };
      case 'HERE':
        return { kind: 'here' };
      case 'ENDED':
        throw new SpoolError(
          'MESSAGE_ENDED',
          `Message ${messageId} has already ended; a message ID names one message, so open a new one.`,
        );
      case 'MOVED':
        return {
          kind: 'moved',
          from: { instanceId: r[1]!, incarnation: r[2]! },
          firstEventId: r[3]!,
          meta: JSON.parse(r[4]!) as WireStreamMeta,
        };
      default:
        throw new SpoolError(
          'STREAM_EXISTS',
          `Message ${messageId} is already open by another producer or in another channel; choose a new message ID.`,
        );
    }
  }

  /**
   * Records a chunk, and where the owner's earlier deltas landed (`placed`, see
   * {@link snapshots}). @throws `FENCED`, `DUPLICATE_CHUNK`, `STREAM_NOT_FOUND`
   */
  async append(
    messageId: string,
    chunkId: number,
    payload: string | Uint8Array,
    placed?: PlacedChunk,
  ): Promise<void> {
    const encoded =
      typeof payload === 'string' ? `t${payload}` : `b${Buffer.from(payload).toString('base64')}`;
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
    const r = await this.io(
      this.redis.spoolMsgAppend(
        this.rec(messageId),
        this.chunksKey(messageId),
        this.self.incarnation,
        chunkId,
        encoded,
        bytes,
        Date.now(),
        ...(placed ? [placed.chunkId, placed.eventId] : []),
      ),
    );
    if (r === 'DUPLICATE') {
      throw new SpoolError(
        'DUPLICATE_CHUNK',
        `Chunk ${chunkId} of message ${messageId} was already applied.`,
      );
    }
    check(r, messageId);
  }

  /**
   * Records where the owner's deltas landed without a chunk to ride on (see {@link snapshots}).
   * @throws `FENCED`, `STREAM_NOT_FOUND`
   */
  async place(messageId: string, placed: PlacedChunk): Promise<void> {
    check(
      await this.io(
        this.redis.spoolMsgPlace(this.rec(messageId), this.self.incarnation, placed.chunkId, placed.eventId),
      ),
      messageId,
    );
  }

  /** Checks ownership, and sets `fields` in the same script. @throws `FENCED`, `STREAM_NOT_FOUND` */
  async guard(messageId: string, fields: Record<string, string> = {}): Promise<void> {
    const pairs = Object.entries(fields).flat();
    check(
      await this.io(this.redis.spoolMsgGuard(this.rec(messageId), this.self.incarnation, ...pairs)),
      messageId,
    );
  }

  /** Ends the record (it stays, chunk-less, as the ended-ID window entry). @throws `FENCED` */
  async finish(messageId: string, reason: WireEndReason): Promise<void> {
    const r = await this.io(
      this.redis.spoolMsgFinish(
        this.rec(messageId),
        this.chunksKey(messageId),
        this.openKey,
        this.self.incarnation,
        reason,
        this.endedWindowSeconds,
        messageId,
        Date.now(),
      ),
    );
    check(r, messageId);
  }

  /** Removes the record this incarnation claimed but could not open. */
  async abandon(messageId: string): Promise<void> {
    await this.io(
      this.redis.spoolMsgAbandon(this.rec(messageId), this.openKey, this.self.incarnation, messageId),
    );
  }

  /** Moves a dead incarnation's message to this one; false when it is no longer that incarnation's. */
  async take(messageId: string, dead: string): Promise<boolean> {
    const r = await this.io(
      this.redis.spoolMsgTake(
        this.rec(messageId),
        dead,
        this.self.instanceId,
        this.self.incarnation,
        Date.now(),
      ),
    );
    return r === 'OK';
  }

  /**
   * Moves a message of this process's evicted incarnation to its new one, the evicted one still
   * accepted (see KEEP_LUA); false when it no longer names the evicted one.
   */
  async keep(messageId: string, evicted: string, next: string): Promise<boolean> {
    return (await this.io(this.redis.spoolMsgKeep(this.rec(messageId), evicted, next, Date.now()))) === 'OK';
  }

  /** The owner of an open message, or undefined when it has none (never opened, or ended). */
  async owner(messageId: string): Promise<RecordOwner | undefined> {
    const [status, instanceId, incarnation, topic] = await this.io(
      this.redis.hmget(this.rec(messageId), 'status', 'instanceId', 'incarnation', 'topic'),
    );
    if (status !== 'streaming') return undefined;
    return { instanceId: instanceId!, incarnation: incarnation!, topic: topic! };
  }

  /** The chunks recorded so far, in chunk order. */
  async chunks(messageId: string): Promise<RecordedChunk[]> {
    return decodeChunks(await this.io(this.redis.hgetall(this.chunksKey(messageId))));
  }

  /** An open message with its text so far, or undefined. */
  async read(messageId: string): Promise<OpenMessageRecord | undefined> {
    const [rec, chunks] = await this.io(
      Promise.all([this.redis.hgetall(this.rec(messageId)), this.redis.hgetall(this.chunksKey(messageId))]),
    );
    const open = toRecord(messageId, rec);
    if (open) open.text = joinChunks(decodeChunks(chunks));
    return open;
  }

  /** Every open message (without text), for the list routes and `/active`: one round trip for the lot. */
  async listOpen(): Promise<OpenMessageRecord[]> {
    const ids = await this.io(this.redis.smembers(this.openKey));
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.rec(id));
    const replies = (await this.io(pipe.exec())) ?? [];
    const out: OpenMessageRecord[] = [];
    ids.forEach((id, i) => {
      const [err, rec] = replies[i] ?? [];
      if (err) throw toSpoolError(err, this.prefix);
      const open = toRecord(id, rec as Record<string, string>);
      if (open) out.push(open);
    });
    return out;
  }

  /**
   * Snapshots of the open messages of a topic, for compact catchup on any instance
   * (docs/architecture.md, "Messages across instances"): the text of chunks
   * 0..`placedChunk`, placed at `placedEventId` (at `firstEventId` while no chunk is placed).
   * The chunks after it are on the topic after that ID, or not yet: the log tail gives them.
   * Two round trips: the open set with the records, then the chunks of the topic's messages.
   */
  async snapshots(
    topic: string,
    skip: (messageId: string) => boolean = () => false,
  ): Promise<RecordSnapshot[]> {
    const ids = (await this.io(this.redis.smembers(this.openKey))).filter((id) => !skip(id));
    if (ids.length === 0) return [];
    const fields = ['status', 'topic', 'meta', 'firstEventId', 'placedChunk', 'placedEventId', 'updatedAt'];
    const heads = (await this.io(this.pipelined(ids.map((id) => ['hmget', this.rec(id), ...fields])))) as (
      | string
      | null
    )[][];
    const mine = ids
      .map((id, i) => ({ id, f: heads[i]! }))
      .filter(({ f }) => f[0] === 'streaming' && f[1] === topic && f[3]);
    if (mine.length === 0) return [];
    const chunkSets = (await this.io(
      this.pipelined(mine.map(({ id }) => ['hgetall', this.chunksKey(id)])),
    )) as Record<string, string>[];
    const out: RecordSnapshot[] = [];
    mine.forEach(({ id, f }, i) => {
      const placedChunk = f[4] ? Number(f[4]) : -1;
      const chunks = decodeChunks(chunkSets[i] ?? {}).filter((c) => c.chunkId <= placedChunk);
      // Chunks 0..placedChunk, every one: a gap would make the text more or less than them.
      if (chunks.length !== placedChunk + 1 || chunks.some((c, n) => c.chunkId !== n)) return;
      const meta = JSON.parse(f[2] ?? '{}') as WireStreamMeta;
      out.push({
        messageId: id,
        meta: { ...meta, updatedAt: Number(f[6]) },
        text: joinChunks(chunks),
        lastChunkId: placedChunk,
        firstEventId: f[3]!,
        lastEventId: placedChunk >= 0 && f[5] ? f[5] : f[3]!,
      });
    });
    return out;
  }

  /** Runs commands in one pipeline; their replies, or the first error. */
  private async pipelined(commands: (string | number)[][]): Promise<unknown[]> {
    const replies = (await this.redis.pipeline(commands).exec()) ?? [];
    return replies.map(([err, reply]) => {
      if (err) throw err;
      return reply;
    });
  }

  /** The open messages a given incarnation owns (a takeover scans the open set: it is rare). */
  async ownedBy(incarnation: string): Promise<string[]> {
    const ids = await this.io(this.redis.smembers(this.openKey));
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hget(this.rec(id), 'incarnation');
    const replies = (await this.io(pipe.exec())) ?? [];
    return ids.filter((_id, i) => replies[i]?.[1] === incarnation);
  }
}

function check(reply: string, messageId: string): void {
  if (reply === 'OK') return;
  if (reply === 'FENCED') {
    throw new SpoolError(
      'FENCED',
      `Message ${messageId} is owned by another instance now (taken over, or its producer moved); this write was refused.`,
    );
  }
  throw new SpoolError(
    'STREAM_NOT_FOUND',
    `No open message ${messageId}; open it with msg.open first, or it has already ended.`,
  );
}

function toRecord(messageId: string, rec: Record<string, string> | undefined): OpenMessageRecord | undefined {
  if (rec?.status !== 'streaming') return undefined;
  const meta = JSON.parse(rec.meta ?? '{}') as WireStreamMeta;
  const updatedAt = Number(rec.updatedAt);
  return {
    messageId,
    topic: rec.topic!,
    meta: { ...meta, updatedAt },
    chunks: Number(rec.chunks),
    lastChunkId: Number(rec.lastChunkId),
    bytes: Number(rec.bytes),
    createdAt: meta.createdAt ?? Number(rec.createdAt),
    updatedAt,
    firstEventId: rec.firstEventId ?? '',
  };
}

function decodeChunks(raw: Record<string, string>): RecordedChunk[] {
  return Object.entries(raw)
    .map(([id, v]) => ({
      chunkId: Number(id),
      payload: v.startsWith('b') ? new Uint8Array(Buffer.from(v.slice(1), 'base64')) : v.slice(1),
    }))
    .sort((a, b) => a.chunkId - b.chunkId);
}
