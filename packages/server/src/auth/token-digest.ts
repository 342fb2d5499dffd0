/**
 * The SHA-256 digest of a token's UTF-8 bytes, by WebCrypto (`crypto.subtle`), which every
 * runtime the main entry runs on has: tokens are kept and compared as digests, and a
 * principal is named by a digest's prefix, never by the token (docs/security.md).
 */
export async function tokenDigest(token: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
}

/** True when `a` and `b` hold the same bytes, in a time that depends on their length only. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
