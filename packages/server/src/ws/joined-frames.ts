/**
 * The last list of frames joined into one buffer, kept for the next socket. A broadcast
 * queues the same frame buffers, in the same order, on every subscriber's send queue, so
 * the sockets of one flush can all write one joined buffer instead of each copying its own:
 * per socket, a comparison of references instead of an allocation and a copy
 * (docs/architecture.md, "Server parts"). A frame is never changed once built, so the same
 * buffers in the same order are the same bytes.
 *
 * @example
 * const joined = new JoinedFrames();
 * a.write(joined.join(frames, bytes));
 * b.write(joined.join(frames, bytes)); // the same Buffer, not a second copy
 */
export class JoinedFrames {
  #parts: Buffer[] = [];
  #joined: Buffer | undefined;

  /** `frames` as one buffer of `bytes` bytes (their total length). */
  join(frames: readonly Buffer[], bytes: number): Buffer {
    const parts = this.#parts;
    const last = this.#joined;
    if (last !== undefined && last.length === bytes && parts.length === frames.length) {
      let i = 0;
      while (i < frames.length && parts[i] === frames[i]) i++;
      if (i === frames.length) return last;
    }
    const joined = Buffer.concat(frames, bytes);
    parts.length = frames.length;
    for (let i = 0; i < frames.length; i++) parts[i] = frames[i]!;
    this.#joined = joined;
    return joined;
  }

  /** Lets go of the last list, so that no frame is kept past its turn. */
  clear(): void {
    this.#parts.length = 0;
    this.#joined = undefined;
  }
}
