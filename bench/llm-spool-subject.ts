/**
 * Spool as an LLM-reply subject, in either topic mode: memory topics (one process, no Redis),
 * or topics on Redis Streams, as every instance of a cluster runs them (`SPOOL_REDIS_URL`).
 * The producer is `spool.run` writing one token per tick on the channel topic `chan:1:<id>`;
 * the client speaks protocol v1 over `ws` (docs/protocol.md): `sub` with `after: "0-0"`
 * first, then `after: <last event ID>` to resume. The store is the memory store either way.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { createSpool, type Spool } from '@spool/server';
import { listen } from '@spool/server/node';
import { openRedisTopics, type RedisTopics } from '@spool/server/redis';
import WebSocket from 'ws';
import { counted } from './llm-resumable-subject';
import type { LlmSubject, ReplyClient, ReplyConnection, ReplyHandlers, Ticker } from './llm-subject';

interface WireEvent {
  op: string;
  id?: string;
  event?: string;
  data?: { chunkId?: number; text?: string; lastChunkId?: number };
  code?: string;
  message?: string;
}

/**
 * Spool with memory topics, or, given `redis`, with its topics on Redis under `prefix`; the
 * commands of the Redis topics' shared connection are counted as its clients' commands.
 */
export async function spoolSubject(
  ticker: Ticker,
  redis?: { url: string; prefix: string },
): Promise<LlmSubject> {
  const tally = { n: 0 };
  let topics: RedisTopics | undefined;
  if (redis) {
    topics = openRedisTopics({ url: redis.url, keyPrefix: `${redis.prefix}spool:` });
    counted(topics.redis, tally);
  }
  const spool: Spool = createSpool(
    topics ? { topics: { createLog: topics.createLog, directory: topics.directory } } : {},
  );
  const { url, close } = await listen(spool, { host: '127.0.0.1', port: 0 });
  const wsUrl = `${url.replace('http', 'ws')}/v1/ws`;
  const produced = new Map<string, number>();
  const running: Promise<unknown>[] = [];

  function connectClient(
    topic: string,
    after: string,
    client: { lastId: string },
    h: ReplyHandlers,
  ): ReplyConnection {
    let socket: Socket | undefined;
    const ws = new WebSocket(wsUrl, ['spool.v1'], {
      perMessageDeflate: false,
      // Our own TCP connection, so the bytes it reads can be counted through public API.
      createConnection: ((options: { host: string; port: number }) => {
        socket = netConnect(options);
        return socket;
      }) as never,
    });
    let cut = false;
    ws.on('open', () => ws.send(JSON.stringify({ op: 'sub', topic, after, credit: 16_384 })));
    ws.on('message', (raw: Buffer) => {
      if (cut) return;
      const m = JSON.parse(raw.toString()) as WireEvent;
      if (m.op === 'ev') {
        client.lastId = m.id!;
        if (m.event === 'msg.delta') h.token(m.data!.text!);
        else if (m.event === 'msg.snapshot') h.snapshot(m.data!.text!, m.data!.lastChunkId! + 1);
        else if (m.event === 'msg.end') h.end();
      } else if (m.op === 'reset') h.reset();
      else if (m.op === 'err') h.error(new Error(`Spool err ${m.code}: ${m.message}`));
    });
    ws.on('error', (err) => {
      if (!cut) h.error(err);
    });
    return {
      bytesRead: () => socket?.bytesRead ?? 0,
      cut: () => {
        cut = true;
        ws.terminate();
      },
    };
  }

  return {
    name: topics ? 'Spool (Redis topics)' : 'Spool (memory topics)',
    reply(id, tokens): ReplyClient {
      produced.set(id, 0);
      running.push(
        spool
          .run({ channelId: id, channelType: 1 }, async (write) => {
            for (const token of tokens) {
              await ticker.next();
              await write(token);
              produced.set(id, produced.get(id)! + 1);
            }
          })
          .then((run) => run.done),
      );
      const topic = `chan:1:${id}`;
      const client = { lastId: '0-0' };
      return {
        open: (h) => connectClient(topic, '0-0', client, h),
        resume: (h) => connectClient(topic, client.lastId, client, h),
      };
    },
    produced: (id) => produced.get(id) ?? 0,
    drained: async () => {
      await Promise.all(running.splice(0));
    },
    redisCommands: () => tally.n,
    close: async () => {
      await close();
      await topics?.close();
    },
  };
}
