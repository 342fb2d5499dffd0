/** fast-check generators of valid wire protocol v1 messages, for the codec's property tests. */
import fc from 'fast-check';
import { formatEventId } from '../event-id';
import type { ClientMessage, ServerMessage, WireEndReason, WireOpenMeta } from '../messages';

export const topic = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.string({ minLength: 1 })).map(([t, id]) => `chan:${t}:${id}`),
);
export const eventId = fc
  .record({ ms: fc.nat({ max: Number.MAX_SAFE_INTEGER }), seq: fc.nat({ max: Number.MAX_SAFE_INTEGER }) })
  .map(formatEventId);
export const ref = fc.nat({ max: Number.MAX_SAFE_INTEGER });
export const messageId = fc.bigInt({ min: 1n, max: (1n << 63n) - 1n }).map(String);
// Through JSON once, so values are as JSON carries them (no -0).
export const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const reason = fc.constantFrom<WireEndReason>('success', 'timeout', 'error', 'cancelled', 'force');
const eventName = fc
  .string({ minLength: 1, maxLength: 40 })
  .filter((s) => !s.includes('\r') && !s.includes('\n'));
const base64 = fc.uint8Array({ maxLength: 40 }).map((b) => btoa(String.fromCharCode(...b)));

const openMeta: fc.Arbitrary<WireOpenMeta> = fc.record(
  {
    messageId,
    channelId: fc.string({ minLength: 1 }),
    channelType: fc.integer({ min: 0, max: 255 }),
    fromUid: fc.string(),
    clientMsgNo: fc.string(),
    timestamp: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    customFields: fc.dictionary(fc.string(), json),
  },
  { requiredKeys: ['channelId', 'channelType'] },
);

export const clientMessage: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record(
    {
      op: fc.constant('sub' as const),
      topic,
      after: eventId,
      compact: fc.boolean(),
      credit: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    },
    { requiredKeys: ['op', 'topic'] },
  ),
  fc.record({ op: fc.constant('unsub' as const), topic }),
  fc.record(
    {
      op: fc.constant('pub' as const),
      ref,
      topic,
      event: eventName,
      data: json,
      key: fc.string({ minLength: 1, maxLength: 256 }),
    },
    { requiredKeys: ['op', 'ref', 'topic', 'data'] },
  ),
  fc.record({ op: fc.constant('credit' as const), topic, n: fc.integer({ min: 1, max: 2 ** 31 - 1 }) }),
  fc.record({ op: fc.constant('ping' as const), ref }),
  fc.record({ op: fc.constant('msg.open' as const), ref, meta: openMeta }),
  fc
    .record({
      op: fc.constant('msg.append' as const),
      ref,
      messageId,
      chunkId: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
      payload: fc.oneof(
        fc.string().map((text) => ({ text })),
        base64.map((b64) => ({ b64 })),
      ),
    })
    .map(({ payload, ...rest }) => ({ ...rest, ...payload })),
  fc.record(
    { op: fc.constant('msg.end' as const), ref, messageId, reason },
    { requiredKeys: ['op', 'ref', 'messageId'] },
  ),
  fc.record({ op: fc.constant('msg.cancel' as const), ref, messageId }),
);

export const serverMessage: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc.record({ op: fc.constant('ev' as const), topic, id: eventId, event: eventName, data: json }),
  fc.record({ op: fc.constant('subok' as const), topic, from: eventId }),
  fc.record({ op: fc.constant('reset' as const), topic, earliest: eventId }),
  fc.record({ op: fc.constant('lag' as const), topic }),
  fc.record(
    { op: fc.constant('ack' as const), ref, id: eventId, messageId },
    { requiredKeys: ['op', 'ref'] },
  ),
  fc.record(
    {
      op: fc.constant('err' as const),
      ref,
      topic,
      code: fc.string({ minLength: 1 }),
      message: fc.string(),
      retryAfterMs: ref,
    },
    { requiredKeys: ['op', 'code', 'message'] },
  ),
  fc.record({ op: fc.constant('pong' as const), ref }),
  fc.record({ op: fc.constant('hb' as const) }),
);
