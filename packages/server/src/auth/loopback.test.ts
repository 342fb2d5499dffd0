import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isIPv4, isLoopback } from './loopback';

describe('isLoopback without node:net', () => {
  it('agrees with node:net on which strings are dotted quads', () => {
    for (const h of [
      '127.0.0.1',
      '127.1',
      '127.0.0.01',
      '256.0.0.1',
      '1.2.3.4',
      '01.2.3.4',
      '1.2.3',
      '',
      'a.b.c.d',
    ])
      expect(isIPv4(h), h).toBe(isIP(h) === 4);
  });

  it('accepts loopback names and addresses, and refuses the rest', () => {
    for (const h of [
      'localhost',
      '127.0.0.1',
      '127.255.0.9',
      '[::1]',
      '::1',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
    ])
      expect(isLoopback(h), h).toBe(true);
    for (const h of [
      '127.1',
      '127.0.0.01',
      '::ffff:10.0.0.1',
      '::ffff:127.x',
      '128.0.0.1',
      'localhost.',
      '::2',
    ])
      expect(isLoopback(h), h).toBe(false);
  });
});
