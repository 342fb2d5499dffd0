import { SpoolError } from '../errors';
import { type MessageId, type MessageIdInput, toMessageId } from '../protocol/message-id';
import type { EndReason } from './end-reason';

/**
 * A streaming message's metadata, as the cache reports it (queries, views, callbacks).
 * Every object the cache returns is a copy: changing it changes nothing in the cache; use
 * `updateStreamMeta` for that.
 *
 * @example
 * cache.getStreamsByChannel('general', 1).map((m) => m.messageId); // ['1843563473929170944']
 */
export interface StreamMeta {
  /** Canonical decimal string of the 64-bit message ID: never a JS `number`. */
  messageId: MessageId;
  /** The conversation the message belongs to; `''` when none was given. */
  channelId: string;
  /** Kind of channel (person, group, ...): an integer from 0 to 255. */
  channelType: number;
  /** Sender user ID; `''` when none was given. */
  fromUid: string;
  /** The producer's own message number, for its dedupe; `''` when none was given. */
  clientMsgNo: string;
  /** Message time in ms since the epoch; defaults to `createdAt`. */
  timestamp: number;
  /** When the cache opened the stream (ms since the epoch, from the cache's clock). */
  createdAt: number;
  /** Last change: a chunk, a metadata update, or the end (ms since the epoch). */
  updatedAt: number;
  /** True once the stream has ended (only in the meta handed to completion and `end` listeners). */
  closed: boolean;
  /** Why the stream ended; set together with `closed`. */
  endReason?: EndReason;
  /** Free-form extra metadata. String, number, boolean, bigint and null values are indexed for `getStreamsByCustomField`. */
  customFields: Record<string, unknown>;
}

/**
 * What `openStream` accepts: a plain object (or the output of `StreamMetaBuilder`). Only
 * `messageId` is required. `createdAt`, `updatedAt`, `closed` and `endReason` are set by
 * the cache, so a full {@link StreamMeta} is accepted too and those fields are ignored.
 *
 * @example
 * cache.openStream({ messageId: '1843563473929170944', channelId: 'general', channelType: 1, fromUid: 'u1' });
 */
export interface StreamMetaInit {
  /** The message ID: a bigint, a decimal string or a safe-integer number. */
  messageId: MessageIdInput;
  /** The conversation the message belongs to. @default '' */
  channelId?: string;
  /** Kind of channel: an integer from 0 to 255. @default 0 */
  channelType?: number;
  /** Sender user ID. @default '' */
  fromUid?: string;
  /** The producer's own message number, for its dedupe. @default '' */
  clientMsgNo?: string;
  /** Message time in ms since the epoch. @default the open time (`createdAt`) */
  timestamp?: number;
  /** Free-form extra metadata (see {@link StreamMeta.customFields}). @default {} */
  customFields?: Record<string, unknown>;
}

/**
 * The mutable copy `updateStreamMeta` hands to its function. The identity and lifecycle
 * fields are read-only; everything else may change, and the indexes follow.
 *
 * @example
 * cache.updateStreamMeta(id, (draft: StreamMetaDraft) => { draft.channelId = 'archive'; });
 */
export type StreamMetaDraft = Omit<
  StreamMeta,
  'messageId' | 'createdAt' | 'updatedAt' | 'closed' | 'endReason'
> &
  Readonly<Pick<StreamMeta, 'messageId' | 'createdAt' | 'updatedAt' | 'closed' | 'endReason'>>;

/** Anything with custom fields: a {@link StreamMeta}, a {@link StreamMetaInit} or a draft. */
export interface WithCustomFields {
  /** Free-form extra metadata. */
  customFields?: Record<string, unknown> | undefined;
}

function invalid(message: string): SpoolError {
  return new SpoolError('INVALID_STREAM_META', message);
}

/** Throws `INVALID_STREAM_META` unless `channelType` fits a uint8. */
export function assertChannelType(channelType: unknown, what = 'channelType'): asserts channelType is number {
  if (
    typeof channelType !== 'number' ||
    !Number.isInteger(channelType) ||
    channelType < 0 ||
    channelType > 255
  ) {
    throw invalid(`\`${what}\` must be an integer from 0 to 255, got ${String(channelType)}.`);
  }
}

/** Throws `INVALID_STREAM_META` unless `value` is a string. */
export function assertString(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') throw invalid(`\`${what}\` must be a string, got ${typeof value}.`);
}

function checkFields(m: Record<string, unknown>): void {
  assertString(m.channelId, 'meta.channelId');
  assertChannelType(m.channelType, 'meta.channelType');
  assertString(m.fromUid, 'meta.fromUid');
  assertString(m.clientMsgNo, 'meta.clientMsgNo');
  if (typeof m.timestamp !== 'number' || !Number.isFinite(m.timestamp)) {
    throw invalid(
      `\`meta.timestamp\` must be a finite number of ms since the epoch, got ${String(m.timestamp)}.`,
    );
  }
  const fields = m.customFields;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw invalid('`meta.customFields` must be a plain object of key/value pairs.');
  }
}

/**
 * Validates `init` and builds the cache's own copy of the metadata.
 * @throws SpoolError `INVALID_MESSAGE_ID`, `INVALID_STREAM_META`
 */
export function createStreamMeta(init: StreamMetaInit, now: number): StreamMeta {
  if (typeof init !== 'object' || init === null) {
    throw invalid(
      '`meta` must be an object with at least a `messageId`, or the result of StreamMetaBuilder.build().',
    );
  }
  const meta: StreamMeta = {
    messageId: toMessageId(init.messageId),
    channelId: init.channelId ?? '',
    channelType: init.channelType ?? 0,
    fromUid: init.fromUid ?? '',
    clientMsgNo: init.clientMsgNo ?? '',
    timestamp: init.timestamp ?? now,
    createdAt: now,
    updatedAt: now,
    closed: false,
    customFields: init.customFields ?? {},
  };
  checkFields(meta as unknown as Record<string, unknown>);
  // Own copy, so the caller's later changes cannot put the indexes out of step.
  meta.customFields = { ...meta.customFields };
  return meta;
}

/**
 * Validates the draft an update function produced and turns it into the new metadata.
 * The identity and lifecycle fields always come from `current`.
 */
export function applyStreamMetaDraft(current: StreamMeta, draft: StreamMetaDraft, now: number): StreamMeta {
  if (draft.messageId !== current.messageId) {
    throw invalid(
      `\`messageId\` cannot be changed by updateStreamMeta (was ${current.messageId}); open a new stream instead.`,
    );
  }
  checkFields(draft as unknown as Record<string, unknown>);
  return {
    messageId: current.messageId,
    channelId: draft.channelId,
    channelType: draft.channelType,
    fromUid: draft.fromUid,
    clientMsgNo: draft.clientMsgNo,
    timestamp: draft.timestamp,
    createdAt: current.createdAt,
    updatedAt: now,
    closed: false,
    customFields: { ...draft.customFields },
  };
}

/** A copy that shares nothing mutable with the cache's own metadata. */
export function copyStreamMeta(meta: StreamMeta): StreamMeta {
  return { ...meta, customFields: { ...meta.customFields } };
}

function field(meta: WithCustomFields, key: string): unknown {
  const fields = meta.customFields;
  return fields !== undefined && Object.hasOwn(fields, key) ? fields[key] : undefined;
}

/**
 * The custom field `key` when it is a string, else `undefined` (absent or another type).
 *
 * @example getCustomFieldString(meta, 'priority') // 'high'
 */
export function getCustomFieldString(meta: WithCustomFields, key: string): string | undefined {
  const value = field(meta, key);
  return typeof value === 'string' ? value : undefined;
}

/**
 * The custom field `key` when it is a number, else `undefined`.
 *
 * @example getCustomFieldNumber(meta, 'retryCount') // 3
 */
export function getCustomFieldNumber(meta: WithCustomFields, key: string): number | undefined {
  const value = field(meta, key);
  return typeof value === 'number' ? value : undefined;
}

/**
 * The custom field `key` when it is a boolean, else `undefined`.
 *
 * @example getCustomFieldBoolean(meta, 'encrypted') // true
 */
export function getCustomFieldBoolean(meta: WithCustomFields, key: string): boolean | undefined {
  const value = field(meta, key);
  return typeof value === 'boolean' ? value : undefined;
}

/**
 * Sets a custom field on a plain meta object, a builder result or an update draft.
 *
 * @example
 * cache.updateStreamMeta(id, (m) => setCustomField(m, 'priority', 'low'));
 */
export function setCustomField(meta: WithCustomFields, key: string, value: unknown): void {
  if (meta.customFields === undefined) meta.customFields = {};
  // defineProperty rather than assignment: a key such as `__proto__` must stay a plain field.
  Object.defineProperty(meta.customFields, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/**
 * Removes a custom field; returns whether it was there.
 *
 * @example removeCustomField(meta, 'retryCount') // true
 */
export function removeCustomField(meta: WithCustomFields, key: string): boolean {
  const fields = meta.customFields;
  if (fields === undefined || !Object.hasOwn(fields, key)) return false;
  delete fields[key];
  return true;
}
