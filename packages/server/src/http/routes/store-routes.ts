import {
  type CircuitBreaker,
  type MessageStore,
  SpoolError,
  type StoredMessagePage,
  type StoreFieldValue,
} from '@spool/core';
import * as v from 'valibot';
import { jsonResponse } from '../errors';
import type { RouteContext } from '../route-context';
import type { Router } from '../router';
import { channelTypeParam, checkInput, intParam, queryOf } from './request-input';

/** Bounds of the `limit` of `GET /v1/store/messages`. */
export const storeSearchDefaults = Object.freeze({ limit: 50, maxLimit: 1000 });

const searchQuery = v.object({
  channelId: v.optional(v.string()),
  channelType: v.optional(v.string()),
  fromUid: v.optional(v.string()),
  field: v.optional(v.string()),
  value: v.optional(v.string()),
  json: v.optional(v.picklist(['0', '1', 'true', 'false'], 'must be 1 or 0')),
  before: v.optional(v.string()),
  limit: v.optional(v.string()),
});

/** What the store routes read of the server. */
export interface StoreRouteDeps {
  /** The store of finished messages. */
  readonly store: MessageStore;
  /** The store's circuit breaker, which every read goes through. */
  readonly storeBreaker: CircuitBreaker;
}

/**
 * `GET /v1/store/messages` (admin): searches the finished messages the store holds, by
 * channel (newest first by event ID, as the channel history), by sender or by custom field
 * (newest first by message ID), one filter per request, paged with `before`
 * (docs/http-api.md, "Stored messages"). What the dashboard's store search calls.
 *
 * @example registerStoreRoutes(router, { store, storeBreaker: breakers.store });
 */
export function registerStoreRoutes(router: Router<RouteContext>, deps: StoreRouteDeps): void {
  const { store, storeBreaker } = deps;
  router.get(
    '/v1/store/messages',
    async (_req, _params, ctx) => {
      const q = checkInput(searchQuery, queryOf(ctx.url), 'query of GET /v1/store/messages');
      const limit = intParam(
        ctx.url,
        'limit',
        { min: 1, max: storeSearchDefaults.maxLimit },
        storeSearchDefaults.limit,
      );
      const before = q.before === '' ? undefined : q.before;
      const byChannel = q.channelId !== undefined || q.channelType !== undefined;
      const bySender = q.fromUid !== undefined;
      const byField = q.field !== undefined || q.value !== undefined;
      if (Number(byChannel) + Number(bySender) + Number(byField) !== 1) {
        throw new SpoolError(
          'BAD_REQUEST',
          'Search the store by exactly one of: `channelType` and `channelId`, `fromUid`, or `field` and `value`.',
        );
      }
      let page: StoredMessagePage;
      if (byChannel) {
        if (q.channelId === undefined || q.channelType === undefined)
          throw new SpoolError('BAD_REQUEST', 'Search by channel with both `channelType` and `channelId`.');
        const channel = { channelType: channelTypeParam(q.channelType), channelId: q.channelId };
        page = await storeBreaker.execute(() => store.listBefore(channel, before, { limit }));
      } else if (bySender) {
        page = await storeBreaker.execute(() => store.listBySender(q.fromUid!, before, { limit }));
      } else {
        if (q.field === undefined || q.value === undefined)
          throw new SpoolError('BAD_REQUEST', 'Search by custom field with both `field` and `value`.');
        const value = fieldValue(q.value, q.json === '1' || q.json === 'true');
        page = await storeBreaker.execute(() => store.listByField(q.field!, value, before, { limit }));
      }
      return jsonResponse(page);
    },
    { access: 'admin' },
  );
}

/**
 * A custom field's value from the query: the text itself, or with `json=1` the JSON number,
 * boolean or null it spells (custom fields keep their JSON type, so `3` and `"3"` differ).
 */
function fieldValue(raw: string, json: boolean): StoreFieldValue {
  if (!json) return raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (
    parsed === null ||
    typeof parsed === 'number' ||
    typeof parsed === 'boolean' ||
    typeof parsed === 'string'
  )
    return parsed;
  throw new SpoolError(
    'BAD_REQUEST',
    `With \`json=1\`, \`value\` must be a JSON number, boolean, null or string, got ${JSON.stringify(raw)}.`,
  );
}
