import { SpoolError } from '../errors';

/**
 * A message ID: a positive 64-bit integer (1 to 2^63-1), held as its canonical decimal
 * string so that snowflake IDs such as `1843563473929170944` never pass through a JS
 * `number` and lose precision. This is also the wire form.
 */
export type MessageId = string;

/** What the APIs accept as a message ID. Numbers must be safe integers. */
export type MessageIdInput = bigint | string | number;

const MAX_INT64 = (1n << 63n) - 1n;
const DECIMAL_RE = /^[0-9]{1,19}$/;

/**
 * Validates a message ID and returns its canonical decimal string.
 *
 * @throws SpoolError `INVALID_MESSAGE_ID` for 0, negatives, non-integers, unsafe numbers
 *   and values above 2^63-1.
 * @example toMessageId(1843563473929170944n) // '1843563473929170944'
 */
export function toMessageId(input: MessageIdInput): MessageId {
  let value: bigint | undefined;
  if (typeof input === 'bigint') value = input;
  else if (typeof input === 'number') {
    if (Number.isSafeInteger(input)) value = BigInt(input);
  } else if (typeof input === 'string' && DECIMAL_RE.test(input)) value = BigInt(input);
  if (value === undefined || value <= 0n || value > MAX_INT64) {
    throw new SpoolError(
      'INVALID_MESSAGE_ID',
      `Invalid message ID ${describe(input)}: expected a positive 64-bit integer (1 to 2^63-1) as a bigint, a decimal string or a safe-integer number.`,
    );
  }
  return value.toString();
}

/** True when `input` is a valid message ID. */
export function isMessageId(input: unknown): input is MessageIdInput {
  try {
    toMessageId(input as MessageIdInput);
    return true;
  } catch {
    return false;
  }
}

function describe(input: unknown): string {
  if (typeof input === 'bigint') return `${input}n`;
  if (typeof input === 'string') return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
  return String(input);
}
