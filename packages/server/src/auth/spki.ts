import { fromBase64 } from '@spool/core/internal';

/**
 * The key type (and EC curve) of a PEM public key (`-----BEGIN PUBLIC KEY-----`, SPKI,
 * RFC 5280 §4.1.2.7), read from its DER without a runtime's crypto module, so that a bad
 * `auth.jwt.publicKey` fails when the server is created, on any runtime. The key itself is
 * imported by WebCrypto (jose's `importSPKI`) later. Throws on anything that is not SPKI.
 */
export function spkiKeyType(pem: string): { type: string; curve?: string } {
  const m = /^-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----$/.exec(pem.trim());
  if (!m) throw new Error('not a PEM public key');
  const body = m[1]!.replace(/\s+/g, '');
  if (body.length % 4 !== 0) throw new Error('bad base64');
  const der = fromBase64(body);
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
  const spki = readTlv(der, 0, 0x30);
  if (spki.end !== der.length) throw new Error('trailing bytes');
  const algorithm = readTlv(der, spki.start, 0x30);
  const oid = readTlv(der, algorithm.start, 0x06);
  const type = KEY_TYPES[hex(der.subarray(oid.start, oid.end))] ?? 'unknown';
  if (type !== 'ec') return { type };
  const params = readTlv(der, oid.end, 0x06);
  const curve = CURVES[hex(der.subarray(params.start, params.end))] ?? 'unknown';
  return { type, curve };
}

// Object identifiers by their DER bytes, named as node:crypto names them.
const KEY_TYPES: Record<string, string> = {
  '2a864886f70d010101': 'rsa',
  '2a864886f70d01010a': 'rsa-pss',
  '2a8648ce3d0201': 'ec',
  '2a8648ce380401': 'dsa',
  '2b6570': 'ed25519',
  '2b6571': 'ed448',
  '2b656e': 'x25519',
  '2b656f': 'x448',
};
const CURVES: Record<string, string> = {
  '2a8648ce3d030107': 'prime256v1',
  '2b81040022': 'secp384r1',
  '2b81040023': 'secp521r1',
  '2b8104000a': 'secp256k1',
};

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** One DER element with tag `tag` at `at`: where its content starts and ends. */
function readTlv(der: Uint8Array, at: number, tag: number): { start: number; end: number } {
  if (der[at] !== tag) throw new Error('unexpected DER tag');
  let length = der[at + 1];
  let start = at + 2;
  if (length === undefined) throw new Error('truncated DER');
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 3) throw new Error('bad DER length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[start + i] ?? Number.NaN);
    start += bytes;
  }
  const end = start + length;
  if (!Number.isFinite(end) || end > der.length) throw new Error('truncated DER');
  return { start, end };
}
