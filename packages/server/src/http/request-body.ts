import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A node:http request body as a WHATWG `ReadableStream`, with the backpressure of the
 * socket (the request pauses while the stream's queue is full). Unlike `Readable.toWeb`,
 * cancelling the stream does not destroy the request, and so the socket: a handler that
 * stops reading early (a body over `maxBodyBytes`) still gets its answer to the client,
 * and the bridge then decides what to do with the rest (see {@link settleUnreadBody}).
 */
export class NodeRequestBody {
  /** Bytes handed to the stream so far. */
  received = 0;
  readonly stream: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private attached = false;
  private detached = false;

  constructor(private readonly req: IncomingMessage) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => {
          this.attach();
          this.req.resume();
        },
        cancel: () => this.abandon(),
      },
      { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
    );
  }

  /** Stops feeding the stream and leaves the request paused: nobody reads the rest. */
  abandon(): void {
    if (this.detached) return;
    this.detach();
    if (!this.req.readableEnded) this.req.pause();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.received += chunk.length;
    this.controller.enqueue(new Uint8Array(chunk));
    if ((this.controller.desiredSize ?? 0) <= 0) this.req.pause();
  };

  private readonly onEnd = (): void => {
    this.detach();
    this.controller.close();
  };

  private readonly onError = (err: Error): void => {
    this.detach();
    this.controller.error(err);
  };

  private readonly onClose = (): void => {
    if (this.req.readableEnded) return;
    this.detach();
    this.controller.error(new Error('The client went away before the request body ended.'));
  };

  private attach(): void {
    if (this.attached || this.detached) return;
    this.attached = true;
    this.req.on('data', this.onData);
    this.req.on('end', this.onEnd);
    this.req.on('error', this.onError);
    this.req.on('close', this.onClose);
  }

  private detach(): void {
    this.detached = true;
    this.req.off('data', this.onData);
    this.req.off('end', this.onEnd);
    this.req.off('error', this.onError);
    this.req.off('close', this.onClose);
  }
}

const bodies = new WeakMap<IncomingMessage, NodeRequestBody>();

/** The body stream of `req`, tracked so that the response side can settle what is left unread. */
export function requestBodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  const body = new NodeRequestBody(req);
  bodies.set(req, body);
  return body.stream;
}

/**
 * True when the response to `req` must close the connection: its body is not fully
 * received, and what is left is unknown (chunked) or more than `maxUnreadBytes`. Checked
 * when the response head is written, so the head can say `Connection: close`.
 */
export function mustCloseAfter(req: IncomingMessage, maxUnreadBytes: number): boolean {
  if (req.complete || req.readableEnded) return false;
  const length = req.headers['content-length'];
  if (length === undefined) return true;
  const left = Number(length) - (bodies.get(req)?.received ?? 0);
  return !(left <= maxUnreadBytes);
}

/**
 * Called once the response has been written: whatever of the request body nobody read
 * is read and thrown away, so that the next request on a keep-alive connection is parsed
 * (Node leaves a body alone once something started reading it, and the connection would
 * hang). At most `maxUnreadBytes` are thrown away; past that the connection is closed
 * once the response is out. A response that said `Connection: close` (see
 * {@link mustCloseAfter}) ends the connection anyway.
 */
export function settleUnreadBody(res: ServerResponse, maxUnreadBytes: number): void {
  const req = res.req;
  bodies.get(req)?.abandon();
  if (req.readableEnded || req.destroyed) return;
  let discarded = 0;
  const discard = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded <= maxUnreadBytes) return;
    req.off('data', discard);
    req.pause();
    const close = () => req.socket?.destroy();
    if (res.writableFinished) close();
    else res.once('finish', close);
  };
  req.on('data', discard);
  req.resume();
}
