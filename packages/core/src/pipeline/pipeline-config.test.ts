import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { pipelineDefaults, validatePipelineConfig } from './pipeline-config';
import { StreamPipeline } from './stream-pipeline';

describe('validatePipelineConfig', () => {
  it('applies the documented defaults to unset fields (32 KiB chunks)', () => {
    expect(validatePipelineConfig()).toEqual(pipelineDefaults);
    expect(pipelineDefaults.chunkThreshold).toBe(32 * 1024);
    expect(validatePipelineConfig({ chunkThreshold: 100 })).toEqual({
      ...pipelineDefaults,
      chunkThreshold: 100,
    });
  });

  it('is readable back from a pipeline, frozen', () => {
    const config = new StreamPipeline({ batchSize: 7, compression: 'gzip' }).getConfig();
    expect(config).toEqual({ ...pipelineDefaults, batchSize: 7, compression: 'gzip' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    { chunkThreshold: 0 },
    { chunkThreshold: -1 },
    { batchSize: 1.5 },
    { highWaterMark: -1 },
    { compression: 'brotli' as never },
  ])('rejects %o with INVALID_OPTION and a message naming the field', (config) => {
    try {
      validatePipelineConfig(config);
      expect.unreachable();
    } catch (err) {
      expect((err as SpoolError).code).toBe('INVALID_OPTION');
      expect((err as SpoolError).message).toContain(Object.keys(config)[0]);
    }
  });
});
