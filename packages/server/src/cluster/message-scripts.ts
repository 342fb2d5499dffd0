/**
 * The Lua scripts of the message owner records (docs/architecture.md, "Messages across
 * instances"). Each checks the owner (`incarnation`) and writes in the same script, so a
 * stale writer's write is refused atomically with `FENCED`.
 *
 * Record hash fields: status (`streaming` | `ended`), instanceId, incarnation, topic,
 * principal, meta (JSON), firstEventId, lastChunkId, chunks, bytes, createdAt, updatedAt,
 * reason, and `placedChunk`/`placedEventId`: chunks 0..placedChunk all have their `msg.delta`
 * on the topic, the last at placedEventId, and no later chunk's delta is at or before it;
 * `keptFrom`: the incarnation of the same process the message was kept from across a rejoin
 * (see KEEP_LUA), whose writes still in flight count as the owner's. Chunks live in a second
 * hash (chunk ID → `t<text>` or `b<base64>`).
 */

/**
 * Shared prologue: returns early unless ARGV[1] owns KEYS[1] (the incarnation named, or the
 * one it was kept from) and it is open. Another incarnation named is `FENCED` even when it
 * has ended the message (a takeover ends it).
 */
const OWNED = `
local f = redis.call('HMGET', KEYS[1], 'status', 'incarnation', 'keptFrom')
if not f[1] then return 'NOTFOUND' end
if f[2] ~= ARGV[1] and f[3] ~= ARGV[1] then return 'FENCED' end
if f[1] == 'ended' then return 'ENDED' end
`;

/** Shared prologue of an owner change: returns early unless ARGV[1] is the incarnation named and it is open. */
const NAMED = `
local f = redis.call('HMGET', KEYS[1], 'status', 'incarnation')
if not f[1] then return 'NOTFOUND' end
if f[2] ~= ARGV[1] then return 'FENCED' end
if f[1] == 'ended' then return 'ENDED' end
`;

/**
 * KEYS: record, open set. ARGV: instanceId, incarnation, topic, meta, principal, now, messageId.
 * Returns {'NEW'}, {'HERE'}, {'ENDED'}, {'EXISTS'}, or {'MOVED', oldInstanceId, oldIncarnation,
 * firstEventId, meta} (the record now names the caller: the old owner is fenced).
 */
export const CLAIM_LUA = `
local st = redis.call('HGET', KEYS[1], 'status')
if st == 'ended' then return {'ENDED'} end
if st then
  local f = redis.call('HMGET', KEYS[1], 'incarnation', 'topic', 'principal', 'instanceId', 'firstEventId', 'meta', 'keptFrom')
  if f[2] ~= ARGV[3] or f[3] ~= ARGV[5] then return {'EXISTS'} end
  if f[1] == ARGV[2] or f[7] == ARGV[2] then return {'HERE'} end
  if not f[5] or f[5] == '' then return {'EXISTS'} end
  redis.call('HSET', KEYS[1], 'instanceId', ARGV[1], 'incarnation', ARGV[2], 'updatedAt', ARGV[6])
  redis.call('HDEL', KEYS[1], 'keptFrom')
  return {'MOVED', f[4], f[1], f[5], f[6]}
end
redis.call('HSET', KEYS[1], 'status', 'streaming', 'instanceId', ARGV[1], 'incarnation', ARGV[2],
  'topic', ARGV[3], 'meta', ARGV[4], 'principal', ARGV[5], 'firstEventId', '', 'lastChunkId', -1,
  'chunks', 0, 'bytes', 0, 'createdAt', ARGV[6], 'updatedAt', ARGV[6])
redis.call('SADD', KEYS[2], ARGV[7])
return {'NEW'}
`;

/**
 * KEYS: record, chunks. ARGV: incarnation, chunkId, encoded payload, bytes, now, and
 * optionally placedChunk, placedEventId (where the owner's earlier deltas landed: it rides on
 * the next chunk's call rather than costing a write of its own; only ever raised). Three
 * commands per chunk (HMGET, HSETNX, HSET), one round trip.
 */
export const APPEND_LUA = `
local f = redis.call('HMGET', KEYS[1], 'status', 'incarnation', 'lastChunkId', 'chunks', 'bytes', 'placedChunk', 'keptFrom')
if not f[1] then return 'NOTFOUND' end
if f[2] ~= ARGV[1] and f[7] ~= ARGV[1] then return 'FENCED' end
if f[1] == 'ended' then return 'ENDED' end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then return 'DUPLICATE' end
local last = math.max(tonumber(f[3]), tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'lastChunkId', last, 'chunks', tonumber(f[4]) + 1,
  'bytes', tonumber(f[5]) + tonumber(ARGV[4]), 'updatedAt', ARGV[5])
if ARGV[6] and tonumber(ARGV[6]) > tonumber(f[6] or '-1') then
  redis.call('HSET', KEYS[1], 'placedChunk', ARGV[6], 'placedEventId', ARGV[7])
end
return 'OK'
`;

/** KEYS: record. ARGV: incarnation, then field/value pairs to set (none: only the check). */
export const GUARD_LUA = `${OWNED}
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 'OK'
`;

/**
 * KEYS: record, chunks, open set. ARGV: incarnation, reason, ended-window TTL (s), messageId, now.
 * The record stays, without its chunks, as the ended-ID window entry for the TTL.
 */
export const FINISH_LUA = `${OWNED}
redis.call('HSET', KEYS[1], 'status', 'ended', 'reason', ARGV[2], 'updatedAt', ARGV[5])
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 'OK'
`;

/** KEYS: record, open set. ARGV: incarnation, messageId. Removes a record its claimer could not open. */
export const ABANDON_LUA = `${OWNED}
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 'OK'
`;

/**
 * KEYS: record. ARGV: dead incarnation, new instanceId, new incarnation, now. The takeover of
 * one message: 'OK' when it named the dead incarnation and now names the caller (the
 * incarnation it was kept from, if any, is fenced too).
 */
export const TAKE_LUA = `${NAMED}
redis.call('HSET', KEYS[1], 'instanceId', ARGV[2], 'incarnation', ARGV[3], 'updatedAt', ARGV[4])
redis.call('HDEL', KEYS[1], 'keptFrom')
return 'OK'
`;

/**
 * KEYS: record. ARGV: evicted incarnation, new incarnation of the same process, now. A message
 * kept across a rejoin (docs/architecture.md, "Instances and incarnations"): 'OK' when it
 * named the evicted incarnation and now names the new one, the evicted one kept as `keptFrom`
 * so that the process's writes sent before it switched still pass. Run only by the winner of
 * the evicted incarnation's takeover claim.
 */
export const KEEP_LUA = `${NAMED}
redis.call('HSET', KEYS[1], 'incarnation', ARGV[2], 'keptFrom', ARGV[1], 'updatedAt', ARGV[3])
return 'OK'
`;

/**
 * KEYS: record. ARGV: incarnation, placedChunk, placedEventId. Where the owner's deltas landed,
 * when no next chunk carries it (see APPEND_LUA): raised only, never lowered.
 */
export const PLACE_LUA = `${OWNED}
local cur = tonumber(redis.call('HGET', KEYS[1], 'placedChunk') or '-1')
if tonumber(ARGV[2]) > cur then
  redis.call('HSET', KEYS[1], 'placedChunk', ARGV[2], 'placedEventId', ARGV[3])
end
return 'OK'
`;
