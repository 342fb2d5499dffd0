import { JoinedFrames } from './joined-frames';

/**
 * Batches outgoing frames so that each socket gets at most one write per event-loop
 * turn, however many events were queued for it: connections mark themselves dirty, and
 * one `setImmediate` flushes them all after the turn's I/O callbacks have run.
 * `setImmediate` rather than a microtask because a publisher that awaits between events
 * would otherwise get a flush (and a syscall per socket) after every single event.
 *
 * @example
 * const batch = new FlushBatch();
 * batch.mark(queue); // queue.flush() runs once, at the end of this turn
 */
export class FlushBatch {
  /** Shared by the queues flushed together: subscribers of one broadcast write one buffer. */
  readonly joined = new JoinedFrames();
  private dirty: Flushable[] = [];
  private spare: Flushable[] = [];
  private scheduled = false;

  mark(target: Flushable): void {
    this.dirty.push(target);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  private readonly run = (): void => {
    this.scheduled = false;
    const list = this.dirty;
    this.dirty = this.spare;
    for (let i = 0; i < list.length; i++) list[i]!.flush();
    this.joined.clear();
    list.length = 0;
    this.spare = list;
  };
}

export interface Flushable {
  flush(): void;
}

/** Above this many queued bytes a flush writes the frames corked (writev) instead of copying them into one buffer. */
export const CONCAT_LIMIT_BYTES = 64 * 1024;

/**
 * The WebSocket a queue's frames belong to: only its state is read. Frames go out only
 * while it is OPEN (RFC 6455 §5.5.1: nothing after a Close frame).
 */
export interface FramedPeer {
  readonly readyState: number;
}

/** `WebSocket.OPEN`, the only state in which a queue writes. */
export const OPEN = 1;

/** The socket side of a send queue: net.Socket's writable API. */
export interface WritableSocket {
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
  write(chunk: Uint8Array): boolean;
  cork(): void;
  uncork(): void;
}

/**
 * One socket's outgoing frames, bounded in bytes together with what the socket itself
 * still buffers (`writableLength`), so a client that stops reading can only ever pin
 * `maxBytes` of server memory. Frames are complete WebSocket frames, usually shared with
 * every other subscriber of the same event. A flush makes one `write`: one frame as is,
 * small batches joined into one buffer, and big ones corked so Node issues one `writev`.
 *
 * The state of the WebSocket is checked when the batch flushes, not when a frame is
 * queued: ws may write its own Close frame (1007, 1009, a close from the peer) in between,
 * and then the queue drops what it holds and writes nothing more. A subscriber that
 * reconnects resumes from its last event ID, so the dropped frames are not lost.
 *
 * @example
 * const queue = new SendQueue(socket, ws, 1 << 20, batch);
 * if (queue.hasRoom(frame.length)) queue.push(frame);
 */
export class SendQueue implements Flushable {
  private frames: Buffer[] = [];
  private bytes = 0;
  private marked = false;
  private closed = false;
  /** Bytes handed to the socket so far (for stats). */
  bytesOut = 0;
  /** Called after a flush that left the socket with room (to resume lagging subscriptions). */
  onFlushed: (() => void) | undefined;

  constructor(
    private readonly socket: WritableSocket,
    private readonly peer: FramedPeer,
    readonly maxBytes: number,
    private readonly batch: FlushBatch,
  ) {}

  /** Bytes queued here plus bytes the socket has not written yet. */
  get queuedBytes(): number {
    return this.bytes + this.socket.writableLength;
  }

  /** True when `n` more bytes stay within the bound. */
  hasRoom(n: number): boolean {
    return this.bytes + this.socket.writableLength + n <= this.maxBytes;
  }

  /** True when the queue has drained to half the bound: time to resume a lagging reader. */
  canResume(): boolean {
    return this.bytes + this.socket.writableLength <= this.maxBytes / 2;
  }

  /** Queues a frame for this turn's flush. Callers check `hasRoom` first for data frames. */
  push(frame: Buffer): void {
    if (this.closed) return;
    this.frames.push(frame);
    this.bytes += frame.length;
    if (!this.marked) {
      this.marked = true;
      this.batch.mark(this);
    }
  }

  /** Drops everything queued and refuses further writes: the socket is closing. */
  close(): void {
    this.closed = true;
    this.frames.length = 0;
    this.bytes = 0;
    this.onFlushed = undefined;
  }

  flush(): void {
    this.marked = false;
    const frames = this.frames;
    const bytes = this.bytes;
    if (frames.length === 0 || this.closed) return;
    if (this.peer.readyState !== OPEN) {
      this.close();
      return;
    }
    this.bytes = 0;
    const socket = this.socket;
    if (frames.length === 1) socket.write(frames[0]!);
    else if (bytes <= CONCAT_LIMIT_BYTES) socket.write(this.batch.joined.join(frames, bytes));
    else {
      socket.cork();
      for (let i = 0; i < frames.length; i++) socket.write(frames[i]!);
      socket.uncork();
    }
    frames.length = 0;
    this.bytesOut += bytes;
    if (this.onFlushed && !socket.writableNeedDrain) this.onFlushed();
  }
}
