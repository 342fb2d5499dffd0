/**
 * The Lua scripts of {@link RedisMembership}. Every time they compare is Redis's own
 * (`TIME`), so instances whose clocks disagree still agree on who is alive.
 * KEYS, for each: the instances hash, the incarnations hash, the dead hash (membership-keys.ts).
 */

const NOW = `
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * Who holds an instance ID now. ARGV: instance ID.
 * Returns {incarnation or '', its record or '', 1 when it is marked dead else 0, now}.
 */
export const READ_ID_LUA = `${NOW}
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return {'', '', 0, now()} end
local rec = redis.call('HGET', KEYS[2], cur) or ''
return {cur, rec, redis.call('HEXISTS', KEYS[3], cur), now()}
`;

/**
 * Takes an instance ID for a new incarnation, if the ID is still held by `expected`
 * ('' for nobody): the holder it replaces is marked dead at once, so that its work can be
 * taken over without waiting for the TTL. ARGV: instance ID, incarnation, info JSON, expected.
 * Returns {1, replaced incarnation or ''}, or {0, the holder now} when it changed meanwhile.
 */
export const JOIN_LUA = `${NOW}
local n = now()
local cur = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if cur ~= ARGV[4] then return {0, cur} end
if cur ~= '' then redis.call('HSET', KEYS[3], cur, n .. '|replaced') end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], n .. '|' .. ARGV[3])
return {1, cur}
`;

/**
 * One heartbeat. Refused when this incarnation's record is gone (forgotten, or Redis lost
 * its data), it no longer holds its ID, it is marked dead, or it has not beaten for the TTL: an incarnation found dead stays dead, even if its
 * process wakes up (SIGCONT). ARGV: instance ID, incarnation, info JSON, TTL in ms.
 * Returns {1, 'ok'} or {0, why}.
 */
export const BEAT_LUA = `${NOW}
local n = now()
local rec = redis.call('HGET', KEYS[2], ARGV[2])
if not rec then return {0, 'removed'} end
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return {0, 'replaced'} end
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then return {0, 'dead'} end
local last = tonumber(string.match(rec, '^(%d+)|'))
if n - last >= tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[3], ARGV[2], n .. '|expired')
  return {0, 'expired'}
end
redis.call('HSET', KEYS[2], ARGV[2], n .. '|' .. ARGV[3])
return {1, 'ok'}
`;

/** Everything, for listing and dead detection. Returns {instances, incarnations, dead (flat HGETALLs), now}. */
export const SCAN_LUA = `${NOW}
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]), now()}
`;

/** One incarnation's record. ARGV: incarnation. Returns {record or '', dead 0/1, now}. */
export const READ_INCARNATION_LUA = `${NOW}
return {redis.call('HGET', KEYS[2], ARGV[1]) or '', redis.call('HEXISTS', KEYS[3], ARGV[1]), now()}
`;

/**
 * Forgets an incarnation: its record, its dead mark, and its instance ID if it still holds
 * it. ARGV: incarnation, instance ID.
 */
export const FORGET_LUA = `
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('HGET', KEYS[1], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[2]) end
return 1
`;
