import { describe, expect, it } from 'vitest';
import { WsCloseCode, wsCloseCodeFor } from './ws-close-code';

describe('wsCloseCodeFor', () => {
  it.each([
    ['BAD_FRAME', 1007],
    ['FRAME_TOO_LARGE', 1009],
    ['PAYLOAD_TOO_LARGE', 1009],
    ['ORIGIN_NOT_ALLOWED', 1008],
    ['HOST_NOT_ALLOWED', 1008],
    ['RATE_LIMITED', 1008],
    ['UNAUTHENTICATED', 4401],
    ['TOKEN_EXPIRED', 4401],
    ['FORBIDDEN', 4403],
    ['INTERNAL', 1011],
    ['STORE_UNAVAILABLE', 1011],
  ] as const)('closes %s with %i', (code, close) => {
    expect(wsCloseCodeFor(code)).toBe(close);
  });

  it('names the codes of docs/protocol.md', () => {
    expect(WsCloseCode).toMatchObject({
      BadPayload: 1007,
      PolicyViolation: 1008,
      TooBig: 1009,
      InternalError: 1011,
      Unauthenticated: 4401,
      Forbidden: 4403,
    });
  });
});
