/**
 * What the pipeline writes when it fails part-way: the same `{ code, message }` as every
 * Spool error body, carried in-band because the HTTP status has long been sent.
 */
export interface PipelineErrorBody {
  /** The error's stable code (see {@link ErrorCode}). */
  code: string;
  /** A human-readable message. */
  message: string;
}

/** A piece of encoded output: text (written as UTF-8) or raw bytes. */
export type EncodedPart = string | Uint8Array;

/**
 * Turns a sequence of items into a byte format. The pipeline calls `start()` once, `item()`
 * per item with its position, then either `end()` or, if the stream fails, `error()`, which
 * must leave the output a complete, valid document (its last word: `end()` is not called
 * after it). Encoders hold no per-stream state, so one instance serves many streams.
 *
 * @example
 * const csv: PipelineEncoder<string[]> = {
 *   contentType: 'text/csv; charset=utf-8',
 *   start: () => 'id,name\n',
 *   item: (row) => row.join(',') + '\n',
 *   end: () => '',
 *   error: (e) => `#error,${e.code}\n`,
 * };
 */
export interface PipelineEncoder<T = unknown> {
  /** The `Content-Type` of the output. */
  readonly contentType: string;
  /** The output's opening (for a JSON array, `[`). */
  start(): EncodedPart;
  /** `index` counts the items encoded before this one (0 for the first). */
  item(value: T, index: number): EncodedPart;
  /** The output's closing, after `itemCount` items (for a JSON array, `]`). */
  end(itemCount: number): EncodedPart;
  /** The in-band error, written after `itemCount` items; the stream then closes. */
  error(error: PipelineErrorBody, itemCount: number): EncodedPart;
}

/** Options of {@link jsonArrayEncoder} and {@link ndjsonEncoder}. */
export interface JsonEncoderOptions<T> {
  /**
   * Serialises one item. Swap it in for values `JSON.stringify` cannot take, such as bigint
   * message IDs. A result of `undefined` is written as `null`, as `JSON.stringify([x])` does.
   * @default JSON.stringify
   */
  stringify?: (value: T) => string | undefined;
}

function errorJson(error: PipelineErrorBody): string {
  return JSON.stringify({ error: { code: error.code, message: error.message } });
}

/**
 * A JSON array, `[` … `]`, valid for any number of items. An in-band error is a last
 * element `{"error":{"code","message"}}` before the closing `]`, so the body stays valid
 * JSON and a client finds the failure by checking the last element. The history route
 * (`GET /v1/topics/:topic/history`) streams through this encoder.
 *
 * @example
 * const body = createPipeline({ fetcher: events, encoder: jsonArrayEncoder() });
 */
export function jsonArrayEncoder<T = unknown>(options: JsonEncoderOptions<T> = {}): PipelineEncoder<T> {
  const stringify = options.stringify ?? (JSON.stringify as (value: T) => string | undefined);
  return {
    contentType: 'application/json; charset=utf-8',
    start: () => '[',
    item: (value, index) => {
      const json = stringify(value) ?? 'null';
      return index === 0 ? json : ',' + json;
    },
    end: () => ']',
    error: (error, itemCount) => (itemCount === 0 ? '' : ',') + errorJson(error) + ']',
  };
}

/**
 * Newline-delimited JSON (https://github.com/ndjson/ndjson-spec): one JSON value per line.
 * An in-band error is a last line `{"error":{"code","message"}}`.
 *
 * @example
 * const body = createPipeline({ fetcher: rows, encoder: ndjsonEncoder() });
 */
export function ndjsonEncoder<T = unknown>(options: JsonEncoderOptions<T> = {}): PipelineEncoder<T> {
  const stringify = options.stringify ?? (JSON.stringify as (value: T) => string | undefined);
  return {
    contentType: 'application/x-ndjson',
    start: () => '',
    // JSON.stringify never emits a raw newline (it escapes them in strings), so one value stays on one line.
    item: (value) => (stringify(value) ?? 'null') + '\n',
    end: () => '',
    error: (error) => errorJson(error) + '\n',
  };
}
