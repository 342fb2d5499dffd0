import { SpoolError } from '../errors';
import type { ServerMessage } from './messages';

const ID = /^\d+-\d+$/;

// The fields the client relies on, per op: `s` a string, `i` an event ID, `n` a number.
// Unknown ops fail too, so a newer server's frame is reported rather than misread.
const SHAPES: Record<string, Record<string, string>> = {
  ev: { topic: 's', id: 'i', event: 's' },
  subok: { topic: 's', from: 'i' },
  reset: { topic: 's', earliest: 'i' },
  lag: { topic: 's' },
  ack: { ref: 'n' },
  err: { code: 's', message: 's' },
  pong: {},
  hb: {},
};

/**
 * Reads one server frame of protocol v1, checking only what a client relies on: the frame
 * guard the client bundles. `decodeServerMessage` validates every field (and frame
 * bytes, and the size limit) and costs about 1.5 KB min+gzip, a quarter of the client's
 * 6 KiB budget, so a client carries this 200-byte check instead.
 *
 * @example
 * const m = readServerFrame('{"op":"hb"}'); // { op: 'hb' }, or a SpoolError BAD_FRAME
 */
export function readServerFrame(text: unknown): ServerMessage | SpoolError {
  try {
    const m = JSON.parse(text as string);
    const shape = SHAPES[m?.op];
    if (
      shape &&
      Object.entries(shape).every(([k, t]) =>
        t === 'n' ? typeof m[k] === 'number' : typeof m[k] === 'string' && (t === 's' || ID.test(m[k])),
      )
    )
      return m;
  } catch {}
  return new SpoolError('BAD_FRAME', `Not a v1 frame: ${String(text).slice(0, 100)}`);
}
