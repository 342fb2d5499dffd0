import type { Spool } from '../create-spool';
import { internalsOf } from '../spool';
import { WsAdapter } from '../ws/adapter';

/**
 * The WebSocket transport of `spool` (protocol v1 on `ws`), created and plugged in on the
 * first call, the same adapter afterwards: its connections then count in `stats()` and
 * `/metrics`, and `spool.close()` refuses new sockets, sends each open message's `msg.end`,
 * then closes the sockets with 1001 (docs/protocol.md, "Close codes").
 *
 * @example
 * server.on('upgrade', (req, socket, head) => {
 *   if (!wsTransportOf(spool).handleUpgrade(req, socket, head)) socket.destroy();
 * });
 */
export function wsTransportOf(spool: Spool): WsAdapter {
  const s = internalsOf(spool);
  const attached = s.transport('ws');
  if (attached instanceof WsAdapter) return attached;
  const adapter = new WsAdapter({
    options: s.wsOptions,
    access: s.access,
    topics: s.topics,
    clock: s.clock,
    publish: (topic, data, options) => s.publish(topic, data, options),
    publishFor: (principalId, topic, data, options) => s.publishFor(principalId, topic, data, options),
    producer: s.messages,
    principalLimits: s.principalLimits,
    onInternalError: (err) => s.logger.error({ err }, 'internal error'),
  });
  try {
    s.addTransport('ws', adapter);
  } catch (err) {
    adapter.close(); // its sweep timer must not outlive a refused transport
    throw err;
  }
  return adapter;
}
