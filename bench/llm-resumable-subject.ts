/**
 * vercel/resumable-stream 2.2.13 as an LLM-reply subject, as its README and the AI SDK use
 * it: `POST /reply/:id` starts the reply with `createNewResumableStream`, `GET
 * /reply/:id?resumeAt=<chars>` resumes with `resumeExistingStream`; both answer
 * `text/event-stream` in the AI SDK's UI-message format (`data: {"type":"text-delta",...}`).
 * Redis (ioredis, one publisher and one subscriber connection) carries the resume handshake
 * and, once a reader resumed, every token. The client counts the characters it received and
 * resumes from there, its SSE parse state kept across connections.
 */
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Redis } from 'ioredis';
import { createResumableStreamContext } from 'resumable-stream/ioredis';
import type { LlmSubject, ReplyClient, ReplyConnection, ReplyHandlers, Ticker } from './llm-subject';

/** Counts the commands an ioredis client sends, through its public `sendCommand`. */
export function counted(redis: Redis, tally: { n: number }): Redis {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    tally.n++;
    return send(...args);
  }) as Redis['sendCommand'];
  return redis;
}

const frame = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;

export async function resumableStreamSubject(
  ticker: Ticker,
  redisUrl: string,
  prefix: string,
): Promise<LlmSubject> {
  const tally = { n: 0 };
  const publisher = counted(new Redis(redisUrl), tally);
  const subscriber = counted(new Redis(redisUrl), tally);
  await Promise.all([publisher.ping(), subscriber.ping()]);
  const ctx = createResumableStreamContext({
    waitUntil: null,
    keyPrefix: `${prefix}rs`,
    publisher,
    subscriber,
  });
  const replies = new Map<string, { tokens: readonly string[]; produced: number; done: Promise<void> }>();
  const running: Promise<void>[] = [];

  /** The model: one UI-message SSE frame per token, one per tick, then `[DONE]`. */
  function makeStream(id: string): ReadableStream<string> {
    const reply = replies.get(id)!;
    let finish!: () => void;
    running.push(new Promise<void>((r) => (finish = r)));
    return new ReadableStream<string>({
      async start(controller) {
        controller.enqueue(frame({ type: 'start', messageId: id }));
        for (const token of reply.tokens) {
          await ticker.next();
          controller.enqueue(frame({ type: 'text-delta', id: '0', delta: token }));
          reply.produced++;
        }
        controller.enqueue('data: [DONE]\n\n');
        controller.close();
        finish();
      },
    });
  }

  const http = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const id = decodeURIComponent(url.pathname.slice('/reply/'.length));
    try {
      const stream =
        req.method === 'POST'
          ? await ctx.createNewResumableStream(id, () => makeStream(id))
          : await ctx.resumeExistingStream(id, Number(url.searchParams.get('resumeAt') ?? 0));
      if (stream === null) {
        res.writeHead(422).end('Stream is already done');
        return;
      }
      if (!stream) {
        res.writeHead(404).end('No such stream');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const reader = stream.getReader();
      res.on('close', () => void reader.cancel().catch(() => {}));
      for (;;) {
        const { done, value } = await reader.read();
        if (done || res.destroyed) break;
        if (!res.write(value)) await once(res, 'drain');
      }
      res.end();
    } catch (err) {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  return {
    name: 'resumable-stream (Redis pub/sub)',
    reply(id, tokens): ReplyClient {
      replies.set(id, { tokens, produced: 0, done: Promise.resolve() });
      let chars = 0; // characters received over every connection: the resume position
      let pending = ''; // an SSE frame cut in the middle, completed by the next connection
      const connect = (method: 'POST' | 'GET', h: ReplyHandlers): ReplyConnection => {
        let socket: Socket | undefined;
        let cut = false;
        const path = `/reply/${encodeURIComponent(id)}${method === 'GET' ? `?resumeAt=${chars}` : ''}`;
        const req = request(`${base}${path}`, { method, agent: false });
        req.on('socket', (s) => {
          socket = s as Socket;
        });
        req.on('response', (res) => {
          if (res.statusCode === 422) {
            res.resume();
            h.refused('the stream is already done');
            return;
          }
          if (res.statusCode !== 200) {
            res.resume();
            h.refused(`HTTP ${res.statusCode}`);
            return;
          }
          const decoder = new TextDecoder();
          res.on('data', (buf: Buffer) => {
            if (cut) return;
            const text = decoder.decode(buf, { stream: true });
            chars += text.length;
            pending += text;
            let at = pending.indexOf('\n\n');
            while (at !== -1) {
              const f = pending.slice(0, at);
              pending = pending.slice(at + 2);
              if (f === 'data: [DONE]') h.end();
              else if (f.startsWith('data: ')) {
                const m = JSON.parse(f.slice(6)) as { type: string; delta?: string };
                if (m.type === 'text-delta') h.token(m.delta!);
              }
              at = pending.indexOf('\n\n');
            }
          });
        });
        req.on('error', (err) => {
          if (!cut) h.error(err);
        });
        req.end();
        return {
          bytesRead: () => socket?.bytesRead ?? 0,
          cut: () => {
            cut = true;
            req.destroy();
          },
        };
      };
      return { open: (h) => connect('POST', h), resume: (h) => connect('GET', h) };
    },
    produced: (id) => replies.get(id)?.produced ?? 0,
    drained: async () => {
      await Promise.all(running.splice(0));
    },
    redisCommands: () => tally.n,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
      await Promise.all([publisher.quit(), subscriber.quit()]);
    },
  };
}
