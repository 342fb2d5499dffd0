import { concatBytes } from './bytes';

const decoder = new TextDecoder();

/**
 * The text of a message's chunks, in the order given: consecutive binary chunks decode
 * together, because one UTF-8 character may span two of them.
 */
export function joinChunks(
  chunks: ReadonlyArray<{
    /** The chunk's text, or its bytes (UTF-8) for a binary chunk. */
    payload: string | Uint8Array;
  }>,
): string {
  let text = '';
  let binary: Uint8Array[] | undefined;
  for (const c of chunks) {
    if (typeof c.payload === 'string') {
      if (binary) {
        text += decoder.decode(concatBytes(binary));
        binary = undefined;
      }
      text += c.payload;
    } else {
      binary ??= [];
      binary.push(c.payload);
    }
  }
  if (binary) text += decoder.decode(concatBytes(binary));
  return text;
}
