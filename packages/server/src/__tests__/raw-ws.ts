import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** One frame as the server put it on the wire (RFC 6455 §5.2). */
export interface WireFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Data opcodes: continuation, text, binary (RFC 6455 §5.2). */
export const DATA_OPCODES: ReadonlySet<number> = new Set([0x0, 0x1, 0x2]);
export const OPCODE_CLOSE = 0x8;

/**
 * A WebSocket client written against the raw TCP bytes, so a test sees exactly what the
 * server wrote and in which order: `ws` (the library) would hide frames that follow a
 * close frame, which is the very thing some tests look for.
 */
export class RawWsClient {
  /** Every frame the server sent, in wire order. */
  readonly frames: WireFrame[] = [];
  /** Resolves when the TCP connection is closed (either side). */
  readonly ended: Promise<void>;
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private isEnded = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    this.ended = new Promise((resolve) => {
      socket.once('close', () => {
        this.isEnded = true;
        resolve();
        this.wake();
      });
    });
    socket.on('error', () => {}); // an RST after the close is fine: 'close' follows
  }

  /** Connects and completes the opening handshake (subprotocol `spool.v1`); `headers` may replace `Host`. */
  static async connect(
    port: number,
    path = '/v1/ws',
    headers: Record<string, string> = {},
  ): Promise<RawWsClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const key = randomBytes(16).toString('base64');
    const all = { Host: `127.0.0.1:${port}`, ...headers };
    const extra = Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.write(
      `GET ${path} HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: spool.v1\r\n${extra.join('')}\r\n`,
    );
    const rest = await new Promise<Buffer>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.off('data', onData);
        const status = head.subarray(0, head.indexOf('\r\n')).toString();
        if (!status.startsWith('HTTP/1.1 101')) reject(new Error(`handshake refused: ${status}`));
        else resolve(head.subarray(end + 4));
      };
      socket.on('data', onData);
    });
    const client = new RawWsClient(socket);
    if (rest.length > 0) socket.emit('data', rest);
    return client;
  }

  /** Sends a masked frame, as every client frame must be (RFC 6455 §5.3). */
  sendFrame(opcode: number, payload: Buffer | string, fin = true): void {
    this.socket.write(clientFrameHeaderAndPayload(opcode, Buffer.from(payload), fin));
  }

  /** Sends only a frame header that announces `length` payload bytes (and its mask key). */
  sendHeaderOnly(opcode: number, length: number): void {
    const header = Buffer.alloc(14);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 127;
    header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    header.writeUInt32BE(length >>> 0, 6);
    randomBytes(4).copy(header, 10);
    this.socket.write(header);
  }

  sendJson(message: unknown): void {
    this.sendFrame(0x1, JSON.stringify(message));
  }

  /** Answers a close frame with one, and half-closes, as a well-behaved client does. */
  closeBack(code: number): void {
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    this.sendFrame(OPCODE_CLOSE, body);
    this.socket.end();
  }

  /** The text frames parsed as JSON (in order). */
  texts(): Array<Record<string, unknown>> {
    return this.frames
      .filter((f) => f.opcode === 0x1)
      .map((f) => JSON.parse(f.payload.toString()) as Record<string, unknown>);
  }

  /** Waits until `match` holds for the frames received so far (or the connection ends). */
  async until(match: (frames: readonly WireFrame[]) => boolean): Promise<void> {
    while (!match(this.frames)) {
      if (this.isEnded) throw new Error('connection ended while waiting');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Stops reading from the socket (the server's writes back up), or starts again. */
  pauseReading(): void {
    this.socket.pause();
  }
  resumeReading(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) break;
      let length = b[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) break;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) break;
        length = b.readUInt32BE(2) * 2 ** 32 + b.readUInt32BE(6);
        offset = 10;
      }
      if (b[1]! & 0x80) offset += 4; // servers never mask; tolerate it anyway
      if (b.length < offset + length) break;
      this.frames.push({
        fin: (b[0]! & 0x80) !== 0,
        opcode: b[0]! & 0x0f,
        payload: b.subarray(offset, offset + length),
      });
      this.buffer = b.subarray(offset + length);
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

function clientFrameHeaderAndPayload(opcode: number, payload: Buffer, fin: boolean): Buffer {
  const length = payload.length;
  const size = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.alloc(size + 4 + length);
  frame[0] = (fin ? 0x80 : 0) | opcode;
  if (size === 2) frame[1] = 0x80 | length;
  else if (size === 4) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  const mask = randomBytes(4);
  mask.copy(frame, size);
  for (let i = 0; i < length; i++) frame[size + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

/** The status code of a close frame (1005 when it has none). */
export function closeCodeOf(frame: WireFrame): number {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}
