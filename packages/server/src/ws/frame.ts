import * as ws from 'ws';

/** The part of ws's `Sender` that Spool uses: its public frame builder (ws ≥ 8.9). */
interface SenderFraming {
  frame(
    data: Buffer,
    options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
  ): Buffer[];
}

// ws exports `Sender` (its ESM wrapper by name, its CommonJS entry as a property), but
// @types/ws 8.18 does not declare it and an `export =` module cannot be augmented with a
// new member: hence this one typed view of the module namespace.
const { Sender } = ws as unknown as { Sender: SenderFraming };

const TEXT = { fin: true, opcode: 0x1, mask: false, readOnly: false, rsv1: false } as const;

/**
 * Server-to-client WebSocket framing (RFC 6455 §5.2): a final, unmasked text frame, built
 * by ws's public `Sender.frame`. The adapter frames each broadcast event once and writes
 * the same bytes to every socket, so the per-socket cost of a broadcast is one write, not
 * one JSON.stringify + frame each. Servers never mask (§5.1), and permessage-deflate is
 * off, so RSV1 stays clear. Header and payload are joined once, here, so that a socket's
 * flush hands one buffer per frame to `write`.
 *
 * @example socket.write(frameText('{"op":"hb"}'))
 */
export function frameText(payload: string): Buffer {
  const data = Buffer.from(payload, 'utf8');
  const [header, body] = Sender.frame(data, TEXT);
  return body === undefined ? header! : Buffer.concat([header!, body], header!.length + body.length);
}
