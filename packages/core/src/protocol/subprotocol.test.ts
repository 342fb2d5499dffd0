import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { PROTOCOL_V1 } from './messages';
import { spoolSubprotocols, tokenFromSubprotocols } from './subprotocol';

describe('spoolSubprotocols / tokenFromSubprotocols', () => {
  it('offers spool.v1, plus the token entry when there is a token', () => {
    expect(PROTOCOL_V1).toBe('spool.v1');
    expect(spoolSubprotocols()).toEqual(['spool.v1']);
    expect(spoolSubprotocols('eyJhbGciOi.J9-_x')).toEqual(['spool.v1', 'spool.auth.eyJhbGciOi.J9-_x']);
  });

  it('reads the token back from the header value or the list', () => {
    expect(tokenFromSubprotocols('spool.v1, spool.auth.abc')).toBe('abc');
    expect(tokenFromSubprotocols(['spool.v1', 'spool.auth.abc'])).toBe('abc');
    expect(tokenFromSubprotocols(spoolSubprotocols('t0k3n').join(', '))).toBe('t0k3n');
  });

  it('finds no token when there is none', () => {
    expect(tokenFromSubprotocols(undefined)).toBeUndefined();
    expect(tokenFromSubprotocols('spool.v1')).toBeUndefined();
    expect(tokenFromSubprotocols('spool.v1, spool.auth.')).toBeUndefined();
  });

  it.each(['', 'a b', 'a=b', 'a/b', 'a,b', 'é'])('refuses the token %j with INVALID_OPTION', (token) => {
    try {
      spoolSubprotocols(token);
      expect.unreachable();
    } catch (err) {
      expect((err as SpoolError).code).toBe('INVALID_OPTION');
    }
  });
});
