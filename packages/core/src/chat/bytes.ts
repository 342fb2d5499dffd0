/**
 * Byte helpers on WHATWG globals only (`btoa`, `atob`, `Uint8Array`): the chat pipeline
 * and the server's main entry run where there is no Node `Buffer` (docs/architecture.md,
 * "The package and entry graph").
 */

/** The bytes of `parts` in one array (`total` when the caller already counted them). */
export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total ?? parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

// Characters handed to String.fromCharCode at once: well below any engine's argument limit.
const CHUNK = 0x8000;

/** Standard, padded base64 (RFC 4648 §4) of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** The bytes of a base64 string the caller has already checked is standard and padded. */
export function fromBase64(b64: string): Uint8Array {
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
