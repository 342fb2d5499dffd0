/**
 * Server-to-client WebSocket framing (RFC 6455 §5.2): a final, unmasked text frame, header
 * and payload in one buffer, so that a socket's flush hands one buffer per frame to
 * `write` (ws's `Sender.frame` returns header and payload as two, to be joined or written
 * twice). Servers never mask (§5.1), and permessage-deflate is off, so RSV1 stays clear.
 * `frame.test.ts` checks the bytes against ws's own `Sender.frame` for every length form.
 */

/**
 * A text frame for a payload of `length` UTF-8 bytes, its header written: the payload goes
 * into the last `length` bytes, which are uninitialised until the caller fills them.
 *
 * @example
 * const frame = allocTextFrame(Buffer.byteLength(text));
 * frame.write(text, frame.length - Buffer.byteLength(text));
 */
export function allocTextFrame(length: number): Buffer {
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81; // FIN + text
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt16BE(0, 2); // a JavaScript string's bytes fit in the low 48 bits
    frame.writeUIntBE(length, 4, 6);
  }
  return frame;
}

/**
 * The text frame of `payload`. Broadcast events are framed by `eventFrames` instead,
 * without building their JSON as a string first.
 *
 * @example socket.write(frameText('{"op":"hb"}'))
 */
export function frameText(payload: string): Buffer {
  const length = Buffer.byteLength(payload, 'utf8');
  const frame = allocTextFrame(length);
  frame.write(payload, frame.length - length, 'utf8');
  return frame;
}
