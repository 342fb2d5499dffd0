import { SpoolError } from '../errors';
import { type ParsedEventId, parseEventId } from '../protocol/event-id';
import { type MessageId, toMessageId } from '../protocol/message-id';
import {
  type ListAfterOptions,
  listAfterDefaults,
  MAX_LIST_AFTER_LIMIT,
  type StoreChannel,
  type StoreFieldValue,
  type StorePageOptions,
  storePageDefaults,
} from './message-store';

/**
 * The argument checks of the store queries, shared by every store so that all of them
 * reject the same input with the same code (`storeContract` checks it).
 */

/** The `limit` of `listAfter`. @throws SpoolError `INVALID_OPTION` */
export function listAfterLimit(options: ListAfterOptions | undefined): number {
  return checkLimit(options?.limit ?? listAfterDefaults.limit);
}

/** The `limit` of a history page. @throws SpoolError `INVALID_OPTION` */
export function pageLimit(options: StorePageOptions | undefined): number {
  return checkLimit(options?.limit ?? storePageDefaults.limit);
}

function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_AFTER_LIMIT)
    throw new SpoolError(
      'INVALID_OPTION',
      `\`limit\` must be an integer from 1 to ${MAX_LIST_AFTER_LIMIT}, got ${String(limit)}.`,
    );
  return limit;
}

/** `before` of `listBefore`: undefined for "from the newest". @throws SpoolError `INVALID_EVENT_ID` */
export function beforeEventId(before: string | undefined): ParsedEventId | undefined {
  return before === undefined ? undefined : parseEventId(before);
}

/** `before` of the sender and field queries. @throws SpoolError `INVALID_MESSAGE_ID` */
export function beforeMessageId(before: MessageId | undefined): MessageId | undefined {
  return before === undefined ? undefined : toMessageId(before);
}

/** `fromUid` of `listBySender`. @throws SpoolError `INVALID_OPTION` */
export function senderQuery(fromUid: string): string {
  if (typeof fromUid !== 'string')
    throw new SpoolError('INVALID_OPTION', `\`fromUid\` must be a string, got ${typeof fromUid}.`);
  return fromUid;
}

/** `field` and `value` of `listByField`. @throws SpoolError `INVALID_OPTION` */
export function fieldQuery(
  field: string,
  value: StoreFieldValue,
): {
  /** The custom field's name, checked non-empty. */
  field: string;
  /** The value it must have, checked. */
  value: StoreFieldValue;
} {
  if (typeof field !== 'string' || field.length === 0)
    throw new SpoolError('INVALID_OPTION', '`field` must be the non-empty name of a custom field.');
  const t = typeof value;
  const ok =
    value === null || t === 'string' || t === 'boolean' || (t === 'number' && Number.isFinite(value));
  if (!ok)
    throw new SpoolError(
      'INVALID_OPTION',
      `\`value\` must be a string, a finite number, a boolean or null, got ${t === 'number' ? String(value) : t}; a bigint field is stored as its decimal string.`,
    );
  return { field, value };
}

/** The channel of a channel query. @throws SpoolError `INVALID_OPTION` */
export function channelQuery(channel: StoreChannel): StoreChannel {
  if (
    typeof channel !== 'object' ||
    channel === null ||
    typeof channel.channelId !== 'string' ||
    channel.channelId === '' ||
    !Number.isSafeInteger(channel.channelType) ||
    channel.channelType < 0
  )
    throw new SpoolError(
      'INVALID_OPTION',
      '`channel` must be { channelId: a non-empty string, channelType: a non-negative integer }.',
    );
  return channel;
}
