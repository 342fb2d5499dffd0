import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { spkiKeyType } from './spki';

// node's overloads are per key type: one untyped view for the test's few calls
const generate = generateKeyPairSync as unknown as (
  type: string,
  options: object,
) => { publicKey: { export(o: { type: 'spki'; format: 'pem' }): string } };
const pem = (type: string, options: object) =>
  generate(type, options).publicKey.export({ type: 'spki', format: 'pem' });

describe('spkiKeyType', () => {
  it('reads the key type and curve as node:crypto names them', () => {
    expect(spkiKeyType(pem('rsa', { modulusLength: 2048 }))).toEqual({ type: 'rsa' });
    expect(spkiKeyType(pem('ec', { namedCurve: 'P-256' }))).toEqual({ type: 'ec', curve: 'prime256v1' });
    expect(spkiKeyType(pem('ec', { namedCurve: 'P-384' }))).toEqual({ type: 'ec', curve: 'secp384r1' });
    expect(spkiKeyType(pem('ed25519', {}))).toEqual({ type: 'ed25519' });
  });

  it('throws on what is not an SPKI PEM', () => {
    const good = pem('ec', { namedCurve: 'P-256' });
    const lines = good.split('\n');
    // Four base64 characters less: three DER bytes missing inside the key.
    const truncated = [lines[0], lines[1]!.slice(4), ...lines.slice(2)].join('\n');
    for (const bad of ['not a pem', good.replace(/PUBLIC/g, 'PRIVATE'), truncated]) {
      expect(() => spkiKeyType(bad), bad).toThrow();
    }
  });
});
