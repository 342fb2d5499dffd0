import { channelTopic } from '@spool/core/protocol';
import type { SendRequest } from './message-writer';
import type { SpoolEvent } from './spool-event';

/**
 * Wraps a client's request path so that a writer's requests show in the client's own
 * assembly, and `message(id)` follows a message this client writes without subscribing to
 * its channel: the open at once, each chunk and the end once the server has applied them
 * (their acks); a message the server never opened ends with `error`. Part of
 * `@spool/client/producer`, since only writers send these (docs/architecture.md, "The
 * client's entries").
 *
 * @example
 * const send = showOwnWrites(link.request, link.apply);
 * await send({ op: 'msg.open', ref: 0, meta });
 */
export function showOwnWrites(request: SendRequest, apply: (ev: SpoolEvent) => void): SendRequest {
  return (f) => {
    const show = (event: string, data: object, topic = '') => apply({ topic, id: '', event, data });
    if (f.op === 'msg.open') {
      const { meta } = f;
      show('msg.open', { messageId: meta.messageId, meta }, channelTopic(meta.channelType, meta.channelId));
    }
    return request(f).then(
      (ack) => {
        // The frames carry what the events would: messageId, chunkId, text or b64, reason.
        if (f.op === 'msg.append') show('msg.delta', f);
        else if (f.op === 'msg.end') show('msg.end', { ...f, reason: f.reason ?? 'success' });
        else if (f.op === 'msg.cancel') show('msg.end', { ...f, reason: 'cancelled' });
        return ack;
      },
      (err) => {
        // A message the server never opened will get no events: do not leave it streaming.
        if (f.op === 'msg.open') show('msg.end', { messageId: f.meta.messageId, reason: 'error' });
        throw err;
      },
    );
  };
}
