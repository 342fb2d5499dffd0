import { describe, expect, it } from 'vitest';
import { jsonArrayEncoder, ndjsonEncoder, type PipelineEncoder } from './encoder';

function run<T>(encoder: PipelineEncoder<T>, items: T[], error?: { code: string; message: string }): string {
  let out = encoder.start() as string;
  items.forEach((item, i) => {
    out += encoder.item(item, i) as string;
  });
  return out + (error ? encoder.error(error, items.length) : encoder.end(items.length));
}

describe('jsonArrayEncoder', () => {
  it.each([[[]], [[1]], [[1, 'two', { three: 3 }, null]]])('writes a valid array for %j', (items) => {
    const text = run(jsonArrayEncoder(), items);
    expect(JSON.parse(text)).toEqual(items);
  });

  it('writes undefined as null, like JSON.stringify([undefined])', () => {
    expect(run(jsonArrayEncoder(), [undefined, 1])).toBe('[null,1]');
  });

  it('ends with an error element and keeps the array valid, after 0 or more items', () => {
    const error = { code: 'STORE_UNAVAILABLE', message: 'db down' };
    expect(JSON.parse(run(jsonArrayEncoder(), [], error))).toEqual([{ error }]);
    expect(JSON.parse(run(jsonArrayEncoder(), [1, 2], error))).toEqual([1, 2, { error }]);
  });

  it('takes a custom stringify (bigint message IDs)', () => {
    const encoder = jsonArrayEncoder<{ id: bigint }>({ stringify: (v) => `{"id":"${v.id}"}` });
    expect(JSON.parse(run(encoder, [{ id: 1843563473929170944n }]))).toEqual([{ id: '1843563473929170944' }]);
  });

  it('declares its content type', () => {
    expect(jsonArrayEncoder().contentType).toBe('application/json; charset=utf-8');
  });
});

describe('ndjsonEncoder', () => {
  it('writes one JSON value per line, newlines in strings escaped', () => {
    const text = run(ndjsonEncoder(), [{ a: 'x\ny' }, 2]);
    expect(text).toBe('{"a":"x\\ny"}\n2\n');
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    ).toEqual([{ a: 'x\ny' }, 2]);
  });

  it('ends with an error line', () => {
    const text = run(ndjsonEncoder(), [1], { code: 'PIPELINE_FAILED', message: 'boom' });
    expect(text).toBe('1\n{"error":{"code":"PIPELINE_FAILED","message":"boom"}}\n');
    expect(ndjsonEncoder().contentType).toBe('application/x-ndjson');
  });
});
