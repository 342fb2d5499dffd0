import type { DeadlineItem } from './deadline-queue';
import { CACHE_CHUNK_OVERHEAD_BYTES, CACHE_STREAM_OVERHEAD_BYTES } from './memory-cost';
import type { ChunkPayload, MessageChunk } from './message-chunk';
import { copyStreamMeta, type StreamMeta } from './stream-meta';

/**
 * A read-only snapshot of an open stream, taken when it was asked for.
 *
 * @example
 * const view = cache.getStream('1843563473929170944');
 * view?.text(); // 'Hello, wor'
 */
export interface StreamView {
  /** The stream's metadata (a copy). */
  readonly meta: StreamMeta;
  /** Chunks received so far. */
  readonly chunkCount: number;
  /** Payload bytes so far (UTF-8 length for text), without overheads. */
  readonly bytes: number;
  /** The highest chunkId received, or undefined before the first chunk. */
  readonly lastChunkId: number | undefined;
  /** When the cache opened the stream (ms since the epoch). */
  readonly createdAt: number;
  /** Last change: a chunk or a metadata update (ms since the epoch). */
  readonly updatedAt: number;
  /** When the last chunk arrived (the open time before the first): the inactivity clock. */
  readonly lastChunkAt: number;
  /**
   * The payload so far concatenated in chunkId order, binary chunks decoded as UTF-8
   * (a multibyte character split across binary chunks is decoded whole).
   */
  text(): string;
}

/**
 * The cache's record of one open stream. Chunks live in two parallel arrays (IDs and
 * payloads) rather than one object per chunk: appending allocates nothing but array
 * growth, and a chunk costs two array slots beyond its payload (see bench/cache.ts).
 * `MessageChunk` objects are built only at completion.
 */
export class StreamEntry implements DeadlineItem {
  meta: StreamMeta;
  readonly ids: number[] = [];
  readonly payloads: ChunkPayload[] = [];
  /** Built on the first out-of-order chunk; until then `chunkId > maxChunkId` proves uniqueness. */
  idSet: Set<number> | undefined = undefined;
  /** Every chunk so far arrived with a higher chunkId than all before it. */
  inOrder = true;
  maxChunkId = -1;
  bytes = 0;
  /** When the last chunk arrived (a time sample, see StreamDeadlines); the open time before. */
  lastChunkAt: number;
  open = true;
  deadlineAt = 0;
  heapIndex = -1;

  constructor(meta: StreamMeta) {
    this.meta = meta;
    this.lastChunkAt = meta.createdAt;
  }

  /** Counted memory: stream overhead + per chunk (overhead + payload bytes). Derived, so appends write less. */
  get memory(): number {
    return CACHE_STREAM_OVERHEAD_BYTES + this.ids.length * CACHE_CHUNK_OVERHEAD_BYTES + this.bytes;
  }

  /**
   * Last change. Appends stamp only `lastChunkAt` (one write fewer per chunk); opens,
   * updates and the end stamp `meta.updatedAt`.
   */
  get updatedAt(): number {
    return Math.max(this.meta.updatedAt, this.lastChunkAt);
  }

  /** A copy of the metadata with `updatedAt` filled in. */
  snapshot(): StreamMeta {
    const meta = copyStreamMeta(this.meta);
    meta.updatedAt = this.updatedAt;
    return meta;
  }

  /** The first `count` chunk positions in chunkId order, or undefined when already in order. */
  order(count: number, inOrder: boolean): number[] | undefined {
    if (inOrder) return undefined;
    const ids = this.ids;
    const order = Array.from({ length: count }, (_, i) => i);
    return order.sort((a, b) => ids[a]! - ids[b]!);
  }

  /** Materializes the chunks, sorted by chunkId, for completion. */
  toChunks(): MessageChunk[] {
    const { ids, payloads } = this;
    const messageId = this.meta.messageId;
    const count = ids.length;
    const order = this.order(count, this.inOrder);
    const chunks = new Array<MessageChunk>(count);
    for (let i = 0; i < count; i++) {
      const at = order === undefined ? i : order[i]!;
      chunks[i] = { messageId, chunkId: ids[at]!, payload: payloads[at]! };
    }
    return chunks;
  }

  view(): StreamView {
    // Capture the arrays' length now: the arrays only ever grow, so the first `count`
    // slots stay exactly as they were when the view was taken.
    const count = this.ids.length;
    const inOrder = this.inOrder;
    return {
      meta: this.snapshot(),
      chunkCount: count,
      bytes: this.bytes,
      lastChunkId: count === 0 ? undefined : this.maxChunkId,
      createdAt: this.meta.createdAt,
      updatedAt: this.updatedAt,
      lastChunkAt: this.lastChunkAt,
      text: () => joinPayloads(this.payloads, this.order(count, inOrder), count),
    };
  }
}

function joinPayloads(payloads: readonly ChunkPayload[], order: number[] | undefined, count: number): string {
  const decoder = new TextDecoder();
  let out = '';
  let pendingBinary = false;
  for (let i = 0; i < count; i++) {
    const payload = payloads[order === undefined ? i : order[i]!]!;
    if (typeof payload === 'string') {
      if (pendingBinary) out += decoder.decode();
      pendingBinary = false;
      out += payload;
    } else {
      out += decoder.decode(payload, { stream: true });
      pendingBinary = true;
    }
  }
  if (pendingBinary) out += decoder.decode();
  return out;
}
