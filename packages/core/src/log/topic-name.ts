import { SpoolError } from '../errors';

/** The longest topic name. */
export const MAX_TOPIC_NAME_LENGTH = 256;

// Control characters would break log lines, SSE and Redis key listings.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/**
 * True when `name` can name a topic: 1 to 256 characters, no control characters.
 *
 * @example isTopicName('chan:1:general') // true
 */
export function isTopicName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= MAX_TOPIC_NAME_LENGTH &&
    !CONTROL_RE.test(name)
  );
}

/**
 * Throws unless `name` can name a topic.
 *
 * @throws SpoolError `INVALID_TOPIC`
 * @example assertTopicName(req.params.topic);
 */
export function assertTopicName(name: unknown): asserts name is string {
  if (!isTopicName(name))
    throw new SpoolError(
      'INVALID_TOPIC',
      `Invalid topic name ${JSON.stringify(name)}: use 1 to ${MAX_TOPIC_NAME_LENGTH} characters without control characters (e.g. "chan:1:general").`,
    );
}
