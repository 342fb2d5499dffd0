import { SpoolProducer } from '@spool/client/producer';
import type { WireEndReason } from '@spool/core';
import type { Spool } from '@spool/server';
import WebSocket from 'ws';

/** A producer's connection to `spool serve`. Node 20 has no WebSocket of its own: pass `ws`'s. */
export function connectProducer(url: string, token?: string): SpoolProducer {
  const client = new SpoolProducer(url, { WebSocket, token });
  // Refusals and unreachable servers are reported here, never retried in silence.
  client.on('error', (err) => console.error(`spool: ${err.code} ${err.message}`));
  return client;
}

/** Relays a model's tokens into one chat message of `room`, and says how it ended. */
export async function relayReply(
  client: SpoolProducer,
  room: string,
  tokens: AsyncIterable<string>,
  signal?: AbortSignal,
): Promise<{ messageId: string; reason: WireEndReason }> {
  const reply = client.openMessage({ channelId: room, channelType: 1, fromUid: 'assistant' });
  try {
    for await (const token of tokens) {
      if (signal?.aborted) break;
      // Awaiting is backpressure: the model runs no further ahead than the network.
      await reply.append(token);
    }
    if (signal?.aborted) {
      await reply.cancel(); // ends with reason `cancelled`
      return { messageId: reply.messageId, reason: 'cancelled' };
    }
    await reply.end(); // rejects if a chunk finally failed: the message then ended with `error`
    return { messageId: reply.messageId, reason: 'success' };
  } catch (err) {
    // The model threw: end the message as `error`, keeping the text it had.
    await reply.end('error').catch(() => {});
    throw err;
  }
}

/** The same relay inside the server process: `spool.run` aborts `signal` when the message is cancelled. */
export async function relayInProcess(
  spool: Spool,
  room: string,
  model: (signal: AbortSignal) => AsyncIterable<string>,
): Promise<{ messageId: string; reason: WireEndReason }> {
  const run = await spool.run(
    { channelId: room, channelType: 1, fromUid: 'assistant' },
    async (write, signal) => {
      for await (const token of model(signal)) await write(token);
    },
  );
  return { messageId: run.messageId, reason: await run.done };
}
