import { describe, expect, it } from 'vitest';
import { isSpoolError } from '../errors';
import { resolveTopicRetention, topicRetentionDefaults } from './retention';

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return isSpoolError(err) ? err.code : err;
  }
  return undefined;
}

describe('resolveTopicRetention', () => {
  it('fills in defaults, the hard limits at twice the soft ones', () => {
    expect(resolveTopicRetention()).toEqual({
      ...topicRetentionDefaults,
      hardMaxEvents: 2 * topicRetentionDefaults.maxEvents,
      hardMaxBytes: 2 * topicRetentionDefaults.maxBytes,
    });
    expect(resolveTopicRetention({ maxEvents: 5, maxAgeMs: Number.POSITIVE_INFINITY })).toMatchObject({
      maxEvents: 5,
      hardMaxEvents: 10,
      maxAgeMs: Number.POSITIVE_INFINITY,
    });
  });

  it('rejects what cannot bound memory, with INVALID_OPTION', () => {
    for (const bad of [
      { maxEvents: 0 },
      { maxEvents: 1.5 },
      { maxBytes: -1 },
      { maxAgeMs: 0 },
      { maxAgeMs: Number.NaN },
      { hardMaxEvents: Number.POSITIVE_INFINITY },
      { maxEvents: 10, hardMaxEvents: 5 },
      { maxBytes: 10, hardMaxBytes: 9 },
    ]) {
      expect(codeOf(() => resolveTopicRetention(bad))).toBe('INVALID_OPTION');
    }
  });
});
