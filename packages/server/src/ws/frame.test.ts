import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { allocTextFrame, frameText } from './frame';

// ws's own framing, the reference: `Sender.frame` is public (ws ≥ 8.9) but not in @types/ws.
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] };
};
const wsFrame = (payload: string) =>
  Buffer.concat(
    Sender.frame(Buffer.from(payload, 'utf8'), {
      fin: true,
      opcode: 1,
      mask: false,
      readOnly: false,
      rsv1: false,
    }),
  );

describe('frameText', () => {
  it('writes the three RFC 6455 length forms as ws does', () => {
    for (const n of [0, 1, 125, 126, 127, 65_535, 65_536, 70_000]) {
      const payload = 'a'.repeat(n);
      const f = frameText(payload);
      expect(f[0]).toBe(0x81);
      const header = n < 126 ? 2 : n < 65_536 ? 4 : 10;
      expect(f.length).toBe(header + n);
      const len = n < 126 ? f[1] : n < 65_536 ? f.readUInt16BE(2) : f.readUInt32BE(6);
      expect(len).toBe(n);
      expect(f.equals(wsFrame(payload))).toBe(true);
    }
  });

  it('counts UTF-8 bytes, not UTF-16 units, like ws', () => {
    const multi = frameText('é✓');
    expect(multi[1]).toBe(5);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (s) => {
        expect(frameText(s).equals(wsFrame(s))).toBe(true);
      }),
    );
  });

  it('leaves exactly the payload bytes after the header', () => {
    for (const n of [0, 125, 126, 65_536]) {
      const f = allocTextFrame(n);
      expect(f.length - n).toBe(n < 126 ? 2 : n < 65_536 ? 4 : 10);
    }
  });
});
