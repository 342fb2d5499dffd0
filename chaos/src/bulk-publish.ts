/**
 * Fills a topic fast for the catch-up scenario: raw WebSocket `pub` frames over many
 * connections in parallel, each kept under the server's per-connection publish rate
 * (docs/protocol.md `pub`), every publish acknowledged before the function returns.
 */
import { WebSocket } from 'ws';

interface Ack {
  op: string;
  ref?: number;
  code?: string;
  retryAfterMs?: number;
}

/** Publishes `count` events of about `bytes` bytes of JSON each on `topic`; resolves with the number acknowledged. */
export async function bulkPublish(
  port: number,
  topic: string,
  count: number,
  bytes: number,
  sockets = 50,
): Promise<number> {
  const per = Math.ceil(count / sockets);
  let published = 0;
  const filler = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(bytes / 36)).slice(0, bytes - 32);
  await Promise.all(
    Array.from({ length: sockets }, async (_, s) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, ['spool.v1']);
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const waiting = new Map<number, (a: Ack) => void>();
      ws.on('message', (raw) => {
        const a = JSON.parse(String(raw)) as Ack;
        if (a.ref !== undefined) waiting.get(a.ref)?.(a);
      });
      const pub = (ref: number, n: number) =>
        new Promise<Ack>((resolve) => {
          waiting.set(ref, resolve);
          ws.send(JSON.stringify({ op: 'pub', ref, topic, event: 'message', data: { n, filler } }));
        });
      const start = s * per;
      let todo = Array.from(
        { length: Math.max(0, Math.min(count, start + per) - start) },
        (_, k) => start + k,
      );
      let ref = 0;
      while (todo.length > 0) {
        const batch = todo.splice(0, 100);
        const acks = await Promise.all(batch.map((m) => pub(++ref, m)));
        const refused = batch.filter((_, i) => acks[i]!.op !== 'ack');
        published += batch.length - refused.length;
        for (const a of acks)
          if (a.op !== 'ack' && a.code !== 'RATE_LIMITED')
            throw new Error(`publish refused: ${JSON.stringify(a)}`);
        if (refused.length > 0) {
          // Over the connection's rate: publish those again once it has refilled. The
          // order of events does not matter to this scenario, only their number and size.
          todo = [...refused, ...todo];
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      ws.close();
    }),
  );
  return published;
}
