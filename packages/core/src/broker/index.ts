export * from './consume';
export * from './memory-broker';
export {
  APPROX_TRIM_DEFAULT_LIMIT,
  assertStreamIdList,
  assertStreamInteger,
  assertStreamKeyIds,
  assertStreamName,
  checkAutoclaimCount,
  checkBlock,
  checkEntriesRead,
  checkTrimArgs,
  flattenStreamFields,
  isValidStreamId,
  streamFieldsToRecord,
  type TrimArgs,
} from './stream-args';
export type * from './stream-broker';
export {
  compareStreamIds,
  formatStreamId,
  isMaxStreamId,
  parseRangeBound,
  parseStreamId,
  parseXaddId,
  type StreamIdParts,
} from './stream-id';
export * from './stream-overview';
