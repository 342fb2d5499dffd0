import { SpoolError } from '@spool/core';
import { concatBytes } from '@spool/core/internal';

/**
 * Reads a JSON request body, refusing more than `maxBytes` without buffering it (the
 * count is checked chunk by chunk). An empty body reads as `undefined`.
 *
 * @throws SpoolError `PAYLOAD_TOO_LARGE`, `BAD_REQUEST` (not JSON, or a wrong content type)
 * @example const body = await readJson<{ data: unknown }>(request, 1 << 20);
 */
export async function readJson<T = unknown>(request: Request, maxBytes: number): Promise<T | undefined> {
  const length = request.headers.get('content-length');
  if (length !== null && Number(length) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return undefined;
  const type = request.headers.get('content-type');
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  if (total === 0) return undefined;
  if (type !== null && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new SpoolError(
      'BAD_REQUEST',
      `Expected a JSON body (Content-Type: application/json), got ${JSON.stringify(type)}.`,
    );
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(concatBytes(chunks, total));
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new SpoolError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
}

function tooLarge(maxBytes: number): SpoolError {
  return new SpoolError(
    'PAYLOAD_TOO_LARGE',
    `The request body exceeds ${maxBytes} bytes (option \`maxBodyBytes\`).`,
  );
}
