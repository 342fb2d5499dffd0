// @spool/client/producer: writing chat messages chunk by chunk (LLM workers, chat UIs that
// send). A separate entry so that a subscriber's bundle carries no pacing code.
import type { WireOpenMeta } from '@spool/core';
import { MessageWriter, type MessageWriterOptions } from './message-writer';
import { producerLink } from './producer-link';
import { SpoolClient } from './spool-client';

export { MessageWriter, type MessageWriterOptions } from './message-writer';

/**
 * A {@link SpoolClient} that also writes messages: everything the client does, plus
 * `openMessage`. Use it where a process produces (an LLM relay, a chat UI that sends);
 * it works wherever a `SpoolClient` does (`SpoolProvider`, the hooks).
 *
 * @example
 * import { SpoolProducer } from '@spool/client/producer';
 * const client = new SpoolProducer('ws://127.0.0.1:8080/v1/ws', { WebSocket });
 * const w = client.openMessage({ channelId: 'general', channelType: 1 });
 * for await (const token of llm) w.append(token);
 * await w.end();
 */
export class SpoolProducer extends SpoolClient {
  /**
   * Opens a chat message to stream from this client. The writer paces itself (a window of
   * chunks in flight, its own bounded queue, not `offlineQueueMax`), so `append` needs no
   * `await`; `end()` rejects if a chunk finally failed (docs/protocol.md, "Producing a long
   * message").
   */
  openMessage(meta: WireOpenMeta, options?: MessageWriterOptions): MessageWriter {
    const link = this[producerLink]();
    const w = new MessageWriter(link.send, meta, this.options.random, {
      clock: this.options.clock,
      ...options,
    });
    link.add(w);
    return w;
  }
}
