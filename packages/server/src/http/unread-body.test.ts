import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listen } from '../node/attach';
import { createSpoolInstance, type SpoolInstance } from '../spool';

// A request body the server never reads (a refused upload) must not leave a keep-alive
// connection waiting: the next request on it is answered, or the refusal says
// `Connection: close` and the connection ends.

let spool: SpoolInstance | undefined;
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  spool = close = undefined;
});

async function start(): Promise<number> {
  spool = createSpoolInstance();
  const server = await listen(spool, { port: 0 });
  close = server.close;
  return server.port;
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `requests` on one TCP connection, back to back, and reads until the server has
 * answered `expected` responses or closed the connection. Returns what arrived.
 */
async function onOneConnection(
  port: number,
  requests: Buffer[],
  expected: number,
): Promise<{ responses: RawResponse[]; closedByServer: boolean }> {
  const socket = connect(port, '127.0.0.1');
  let raw = Buffer.alloc(0);
  const responses: RawResponse[] = [];
  let closedByServer = false;
  await new Promise<void>((resolve) => {
    socket.on('error', () => {}); // a reset after a Connection: close answer still counts as closed
    socket.on('close', () => {
      closedByServer = true;
      resolve();
    });
    socket.on('data', (chunk: Buffer) => {
      raw = Buffer.concat([raw, chunk]);
      for (;;) {
        const parsed = parseResponse(raw);
        if (!parsed) break;
        responses.push(parsed.response);
        raw = raw.subarray(parsed.used);
      }
      if (responses.length >= expected) resolve();
    });
    socket.on('connect', () => {
      for (const r of requests) socket.write(r);
    });
  });
  socket.destroy();
  return { responses, closedByServer };
}

function parseResponse(raw: Buffer): { response: RawResponse; used: number } | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(statusLine!.split(' ')[1]);
  let at = end + 4;
  if (headers['transfer-encoding'] === 'chunked') {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = raw.indexOf('\r\n', at);
      if (lineEnd === -1) return undefined;
      const size = Number.parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
      if (raw.length < lineEnd + 2 + size + 2) return undefined;
      parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
      if (size === 0) break;
    }
    return { response: { status, headers, body: Buffer.concat(parts).toString() }, used: at };
  }
  const length = Number(headers['content-length'] ?? 0);
  if (raw.length < at + length) return undefined;
  return { response: { status, headers, body: raw.subarray(at, at + length).toString() }, used: at + length };
}

const healthz = Buffer.from('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');

function post(method: string, path: string, body: Buffer, chunked = false): Buffer {
  const head =
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    (chunked ? 'Transfer-Encoding: chunked\r\n\r\n' : `Content-Length: ${body.length}\r\n\r\n`);
  if (!chunked) return Buffer.concat([Buffer.from(head), body]);
  const parts: Buffer[] = [Buffer.from(head)];
  for (let i = 0; i < body.length; i += 64 * 1024) {
    const piece = body.subarray(i, i + 64 * 1024);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** A JSON body of `bytes` bytes: {"data":"xxx…"}. */
function jsonOf(bytes: number): Buffer {
  return Buffer.from(`{"data":"${'x'.repeat(bytes - 11)}"}`);
}

describe('a keep-alive connection after an unread request body', () => {
  it('answers the next request after a 405 whose body the bridge could throw away', async () => {
    const port = await start();
    const { responses } = await onOneConnection(
      port,
      [post('PUT', '/v1/topics/t/events', jsonOf(512 * 1024)), healthz],
      2,
    );
    expect(responses.map((r) => r.status)).toEqual([405, 200]);
    expect(responses[0]!.headers.connection).toBe('keep-alive');
    expect(JSON.parse(responses[1]!.body)).toEqual({ ok: true });
  });

  it('says Connection: close after a 413 (Content-Length over the limit), then closes', async () => {
    const port = await start();
    const { responses, closedByServer } = await onOneConnection(
      port,
      [post('POST', '/v1/topics/t/events', jsonOf(2 * 1024 * 1024)), healthz],
      2,
    );
    expect(closedByServer).toBe(true);
    expect(responses).toHaveLength(1);
    expect(responses[0]!.status).toBe(413);
    expect(responses[0]!.headers.connection).toBe('close');
    expect(JSON.parse(responses[0]!.body).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('says Connection: close after a 413 on a chunked body, and the answer reaches the client', async () => {
    const port = await start();
    const { responses, closedByServer } = await onOneConnection(
      port,
      [post('POST', '/v1/topics/t/events', jsonOf(2 * 1024 * 1024), true), healthz],
      2,
    );
    expect(closedByServer).toBe(true);
    expect(responses.map((r) => [r.status, r.headers.connection])).toEqual([[413, 'close']]);
  });

  it('says Connection: close after a 405 with a body over the drain bound, then closes', async () => {
    const port = await start();
    const { responses, closedByServer } = await onOneConnection(
      port,
      [post('PUT', '/v1/topics/t/events', jsonOf(3 * 1024 * 1024)), healthz],
      2,
    );
    expect(closedByServer).toBe(true);
    expect(responses.map((r) => [r.status, r.headers.connection])).toEqual([[405, 'close']]);
  });

  it('keeps a fully read body on a keep-alive connection as before', async () => {
    const port = await start();
    const { responses } = await onOneConnection(
      port,
      [post('POST', '/v1/topics/t/events', jsonOf(200 * 1024)), healthz],
      2,
    );
    expect(responses.map((r) => r.status)).toEqual([201, 200]);
    expect(responses[0]!.headers.connection).toBe('keep-alive');
    expect(spool!.topics.get('t')?.stats().retainedEvents).toBe(1);
  });
});
