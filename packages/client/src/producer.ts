// @spool/client/producer: writing chat messages chunk by chunk (LLM workers, chat UIs that
// send). A separate entry so that a subscriber's bundle carries no pacing code
// (docs/architecture.md, "The client's entries").
import type { WireOpenMeta } from '@spool/core';
import { MessageWriter, type MessageWriterOptions } from './message-writer';
import { producerLink } from './producer-link';
import { showOwnWrites } from './show-own-writes';
import { SpoolClient } from './spool-client';

export { MessageWriter, type MessageWriterOptions } from './message-writer';

/**
 * Opens a chat message to stream from `client`. The writer paces itself (a window of chunks
 * in flight, its own bounded queue, not `offlineQueueMax`), so `append` needs no `await`;
 * `end()` rejects if a chunk finally failed (docs/protocol.md, "Producing a long message").
 * Takes any `SpoolClient`, such as the one `useSpoolClient()` returns.
 *
 * @example
 * const w = openMessage(client, { channelId: 'general', channelType: 1 });
 * for await (const token of llm) w.append(token);
 * await w.end();
 */
export function openMessage(
  client: SpoolClient,
  meta: WireOpenMeta,
  options?: MessageWriterOptions,
): MessageWriter {
  const link = client[producerLink]();
  const w = new MessageWriter(showOwnWrites(link.request, link.apply), meta, client.options.random, {
    clock: client.options.clock,
    ...options,
  });
  link.add(w);
  return w;
}

/**
 * A {@link SpoolClient} with {@link openMessage} as a method, for a process that mostly
 * produces (an LLM relay). It goes wherever a `SpoolClient` does (`SpoolProvider`, the hooks).
 *
 * @example
 * import { SpoolProducer } from '@spool/client/producer';
 * const client = new SpoolProducer('ws://127.0.0.1:8080/v1/ws', { WebSocket });
 * const w = client.openMessage({ channelId: 'general', channelType: 1 });
 * for await (const token of llm) w.append(token);
 * await w.end();
 */
export class SpoolProducer extends SpoolClient {
  /** {@link openMessage} on this client. */
  openMessage(meta: WireOpenMeta, options?: MessageWriterOptions): MessageWriter {
    return openMessage(this, meta, options);
  }
}
