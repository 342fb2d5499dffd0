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
 * Reads one server frame of protocol v1, checking what a client relies on (the op, and
 * per op the fields it reads, event IDs included); anything else is `BAD_FRAME`. The one
 * decoder of server frames: a full field-by-field validation (as `decodeClientMessage`
 * does on the server) would cost about 1.5 KB min+gzip, a quarter of the client's 6 KiB
 * budget, for fields the client does not read.
 *
 * @example
 * const m = readServerFrame('{"op":"hb"}'); // { op: 'hb' }, or a SpoolError BAD_FRAME
 */
export function readServerFrame(text: unknown): ServerMessage | SpoolError {
  try {
    const m = JSON.parse(text as string);
    // Own ops only: `constructor` or `__proto__` must not find Object.prototype's.
    const shape = Object.hasOwn(SHAPES, m?.op) && SHAPES[m.op];
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
