import { expectTypeOf } from 'vitest';
import { jsonArrayEncoder, type PipelineEncoder } from './encoder';
import { ssePipelineEncoder } from './sse-encoder';
import { createPipeline } from './stream-pipeline';

// The transformer's output type flows into the encoder's input type.
const numbers: PipelineEncoder<number> = jsonArrayEncoder<number>();
expectTypeOf(
  createPipeline({ fetcher: ['1', '2'], transformer: (s: string) => Number(s), encoder: numbers }),
).toEqualTypeOf<ReadableStream<Uint8Array>>();

// An encoder of another type is refused.
// @ts-expect-error string items cannot go to a number encoder without a transformer
createPipeline({ fetcher: ['1'], encoder: numbers });

// The default SSE encoder takes SsePipelineEvent items.
createPipeline({ fetcher: [{ id: '1-0', data: {} }], encoder: ssePipelineEncoder() });
// @ts-expect-error an SSE event needs `data`
createPipeline({ fetcher: [{ id: '1-0' }], encoder: ssePipelineEncoder() });
