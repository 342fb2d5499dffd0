import { SpoolError } from '../errors';
import type { ClientMessage, ServerMessage } from './messages';

/**
 * Serialises a wire message as the JSON text of one WebSocket frame. The server frames an
 * `ev` once and writes the same string to every subscriber.
 *
 * @throws SpoolError `INVALID_MESSAGE` when the message cannot be JSON (a bigint or a
 *   cycle in `data`, or `data: undefined` on `ev`/`pub`, which JSON would drop).
 * @example
 * ws.send(encodeMessage({ op: 'sub', topic: 'chan:1:general', after: '0-0' }));
 */
export function encodeMessage(msg: ClientMessage | ServerMessage): string {
  if ((msg.op === 'ev' || msg.op === 'pub') && msg.data === undefined) {
    throw new SpoolError(
      'INVALID_MESSAGE',
      `\`${msg.op}.data\` is undefined, which JSON cannot carry: send null instead.`,
    );
  }
  try {
    return JSON.stringify(msg);
  } catch (cause) {
    throw new SpoolError(
      'INVALID_MESSAGE',
      `Cannot serialise a \`${String(msg.op)}\` message as JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/**
 * {@link encodeMessage} for what a client sends.
 * @example ws.send(encodeClientMessage({ op: 'ping', ref: 9 }));
 */
export const encodeClientMessage: (msg: ClientMessage) => string = encodeMessage;

/**
 * {@link encodeMessage} for what the server sends.
 * @example const frame = encodeServerMessage({ op: 'ev', topic, id, event: 'msg.delta', data });
 */
export const encodeServerMessage: (msg: ServerMessage) => string = encodeMessage;
