import type { BufferPool } from './buffer-pool';
import type { EncodedPart } from './encoder';

/**
 * Where encoded parts gather until a chunk is worth sending. Two strategies, chosen by
 * whether the pipeline has a buffer pool; bench/pipeline.ts measures both.
 */
export interface ChunkSink {
  /** Bytes (or, for text in {@link TextChunkSink}, UTF-16 units: never more than bytes) waiting. */
  readonly size: number;
  write(part: EncodedPart): void;
  /** Sends what is waiting as one chunk, if anything is. */
  flush(): void;
  /** Gives borrowed memory back. The sink is not used afterwards. */
  release(): void;
}

const utf8 = new TextEncoder();

/**
 * Concatenates text and encodes it once per chunk. V8 concatenates strings as ropes, so
 * appending is cheap, and `encode()` allocates exactly the chunk that is handed out.
 * `size` counts UTF-16 units, so a chunk is at least `chunkThreshold` bytes once it
 * passes the threshold (UTF-8 is never shorter), and at most three times that for CJK text.
 */
export class TextChunkSink implements ChunkSink {
  private text = '';
  private bytes: Uint8Array[] = [];
  private byteCount = 0;

  constructor(private readonly emit: (chunk: Uint8Array) => void) {}

  get size(): number {
    return this.text.length + this.byteCount;
  }

  write(part: EncodedPart): void {
    if (typeof part === 'string') {
      this.text += part;
      return;
    }
    // Bytes must keep their place among text parts, so pending text is encoded first.
    if (this.text !== '') {
      this.bytes.push(utf8.encode(this.text));
      this.byteCount += this.bytes[this.bytes.length - 1]!.byteLength;
      this.text = '';
    }
    this.bytes.push(part);
    this.byteCount += part.byteLength;
  }

  flush(): void {
    if (this.byteCount === 0) {
      if (this.text === '') return;
      const chunk = utf8.encode(this.text);
      this.text = '';
      this.emit(chunk);
      return;
    }
    if (this.text !== '') this.write(new Uint8Array(0));
    const chunk = new Uint8Array(this.byteCount);
    let at = 0;
    for (const b of this.bytes) {
      chunk.set(b, at);
      at += b.byteLength;
    }
    this.bytes = [];
    this.byteCount = 0;
    this.emit(chunk);
  }

  release(): void {
    this.text = '';
    this.bytes = [];
    this.byteCount = 0;
  }
}

/**
 * Encodes each part straight into a scratch buffer borrowed from a {@link BufferPool}
 * (`TextEncoder.encodeInto`, no intermediate strings or arrays) and copies the filled
 * prefix out per chunk. The copy is unavoidable: a chunk handed to a ReadableStream
 * belongs to the reader, so the scratch buffer itself can never be sent.
 */
export class PooledChunkSink implements ChunkSink {
  private buffer: Uint8Array | undefined;
  private length = 0;

  constructor(
    private readonly pool: BufferPool,
    private readonly emit: (chunk: Uint8Array) => void,
  ) {
    this.buffer = pool.get();
  }

  get size(): number {
    return this.length;
  }

  write(part: EncodedPart): void {
    const buffer = this.buffer;
    if (!buffer) return;
    if (typeof part === 'string') {
      let rest = part;
      for (;;) {
        const { read, written } = utf8.encodeInto(rest, buffer.subarray(this.length));
        this.length += written;
        if (read === rest.length) return;
        // Full: send what is there and carry on with the rest of this part.
        this.flush();
        rest = rest.slice(read);
      }
    }
    let at = 0;
    while (at < part.byteLength) {
      const n = Math.min(buffer.byteLength - this.length, part.byteLength - at);
      buffer.set(part.subarray(at, at + n), this.length);
      this.length += n;
      at += n;
      if (at < part.byteLength) this.flush();
    }
  }

  flush(): void {
    if (!this.buffer || this.length === 0) return;
    const chunk = this.buffer.slice(0, this.length);
    this.length = 0;
    this.emit(chunk);
  }

  release(): void {
    if (this.buffer) this.pool.put(this.buffer);
    this.buffer = undefined;
    this.length = 0;
  }
}
