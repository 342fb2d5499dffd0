import { type ServerMessage, SpoolError } from '@spool/core';

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
 * Reads one server frame of protocol v1, checking only what the client relies on. Core's
 * `decodeServerMessage` validates every field and costs about 1.3 KB min+gzip, a quarter
 * of the client's 5 KB budget, so the client carries this 200-byte check instead.
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
  return new SpoolError('BAD_FRAME', `Not a protocol v1 server frame: ${String(text).slice(0, 100)}`);
}
