/**
 * Server-to-client WebSocket framing (RFC 6455 §5.2): a final, unmasked text frame. The
 * adapter frames each broadcast event once and writes the same bytes to every socket, so
 * the per-socket cost of a broadcast is one write, not one JSON.stringify + frame each.
 * Servers never mask (§5.1), and permessage-deflate is off, so RSV1 stays clear.
 *
 * @example socket.write(frameText('{"op":"hb"}'))
 */
export function frameText(payload: string): Buffer {
  const length = Buffer.byteLength(payload);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81; // FIN + opcode 1 (text)
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(payload, header, 'utf8');
  return frame;
}
