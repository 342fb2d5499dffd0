import { describe, expect, it } from 'vitest';
import { CONCAT_LIMIT_BYTES, FlushBatch, SendQueue, type WritableSocket } from './send-queue';

class FakeSocket implements WritableSocket {
  writes: Uint8Array[] = [];
  corks = 0;
  writableLength = 0;
  writableNeedDrain = false;
  write(chunk: Uint8Array): boolean {
    this.writes.push(chunk);
    return true;
  }
  cork(): void {
    this.corks++;
  }
  uncork(): void {}
}

const open = { readyState: 1 };

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('SendQueue', () => {
  it('makes one write per turn however many frames were queued, sharing a lone frame as is', async () => {
    const batch = new FlushBatch();
    const socket = new FakeSocket();
    const queue = new SendQueue(socket, open, 1 << 20, batch);
    const shared = Buffer.from('frame');
    queue.push(shared);
    await turn();
    expect(socket.writes).toEqual([shared]);
    expect(socket.writes[0]).toBe(shared); // no copy
    for (let i = 0; i < 16; i++) queue.push(Buffer.from(`f${i}`));
    await turn();
    expect(socket.writes).toHaveLength(2);
    expect(Buffer.from(socket.writes[1]!).toString()).toBe(
      Array.from({ length: 16 }, (_, i) => `f${i}`).join(''),
    );
    expect(queue.bytesOut).toBe(5 + 16 * 2 + 6 * 1);
  });

  it('lets the sockets of one turn that got the same frames write one joined buffer, and keeps it no longer', async () => {
    const batch = new FlushBatch();
    const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    const queues = sockets.map((socket) => new SendQueue(socket, open, 1 << 20, batch));
    const broadcast = [Buffer.from('e1'), Buffer.from('e2')];
    for (const frame of broadcast) for (const queue of queues) queue.push(frame);
    queues[0]!.push(Buffer.from('own')); // the first also got a frame of its own
    await turn();
    const [a, b, c] = sockets.map((socket) => socket.writes[0]!);
    expect(Buffer.from(a!).toString()).toBe('e1e2own');
    expect(c).toBe(b);
    expect(Buffer.from(b!).toString()).toBe('e1e2');
    // The next turn joins anew: the batch lets go of a turn's frames when it ends.
    for (const frame of broadcast) queues[1]!.push(frame);
    await turn();
    expect(sockets[1]!.writes[1]).not.toBe(b);
    expect(Buffer.from(sockets[1]!.writes[1]!).toString()).toBe('e1e2');
  });

  it('corks big batches instead of copying them', async () => {
    const socket = new FakeSocket();
    const queue = new SendQueue(socket, open, 1 << 24, new FlushBatch());
    const big = Buffer.alloc(CONCAT_LIMIT_BYTES);
    queue.push(big);
    queue.push(big);
    await turn();
    expect(socket.corks).toBe(1);
    expect(socket.writes).toEqual([big, big]);
  });

  it('bounds queued bytes together with the socket buffer, and resumes below half', () => {
    const socket = new FakeSocket();
    const queue = new SendQueue(socket, open, 100, new FlushBatch());
    queue.push(Buffer.alloc(40));
    socket.writableLength = 50;
    expect(queue.queuedBytes).toBe(90);
    expect(queue.hasRoom(10)).toBe(true);
    expect(queue.hasRoom(11)).toBe(false);
    expect(queue.canResume()).toBe(false);
    socket.writableLength = 10;
    expect(queue.canResume()).toBe(true);
  });

  it('calls onFlushed after a flush that left the socket room, and drops everything once closed', async () => {
    const socket = new FakeSocket();
    const queue = new SendQueue(socket, open, 100, new FlushBatch());
    let flushed = 0;
    queue.onFlushed = () => flushed++;
    queue.push(Buffer.from('a'));
    await turn();
    expect(flushed).toBe(1);
    socket.writableNeedDrain = true;
    queue.push(Buffer.from('b'));
    await turn();
    expect(flushed).toBe(1); // waits for 'drain' instead
    queue.push(Buffer.from('c'));
    queue.close();
    await turn();
    expect(socket.writes).toHaveLength(2);
    expect(queue.queuedBytes).toBe(0);
  });

  it('checks the WebSocket state when the batch flushes: frames queued while OPEN are dropped once it is CLOSING', async () => {
    const socket = new FakeSocket();
    const peer = { readyState: 1 };
    const queue = new SendQueue(socket, peer, 1 << 20, new FlushBatch());
    queue.push(Buffer.from('before'));
    await turn();
    queue.push(Buffer.from('queued while open'));
    peer.readyState = 2; // ws wrote its Close frame in the same turn
    await turn();
    queue.push(Buffer.from('after'));
    await turn();
    expect(socket.writes.map((w) => Buffer.from(w).toString())).toEqual(['before']);
    expect(queue.queuedBytes).toBe(0);
  });
});
