/**
 * The one script behind `RedisTopicLog`. Every call runs atomically on the topic's three
 * keys (one hash slot), so an append, the trim it causes, the pins it sets and the
 * creation floor can never be seen half done by another instance.
 *
 * KEYS: 1 the stream, 2 the meta hash (`cf` creation floor, `b` retained bytes, `l` last ID,
 *       `h` the first retained ID, absent while the stream is empty or when unknown),
 *       3 the pin set (`m:<messageId>` pins a message's events, `e:<id>` one event).
 * ARGV: 1 op (`w` append and trim, `r` read)
 *       2 creation floor to record as given when the stream is created ('' for none)
 *       3 lowest creation floor to record when the stream is (re)created ('' for none)
 *   `r`: 4 after, 5 limit
 *   `w`: 4 trim ('1' or '0'), 5 maxEvents, 6 maxBytes, 7 maxAgeMs (-1: none),
 *        8 hardMaxEvents, 9 hardMaxBytes, 10 the notification channel ('' for none),
 *        11 the writer's origin token (in the notification), 12 the batch's events as the
 *        notification's "e" ('' for none: the script encodes what it carries), 13 number of
 *        pin keys to remove (after the appends, before the trim), then those keys,
 *        then 6 per event: id ('*' or explicit), event name, JSON, messageId (''), pin
 *        ('' none, 'm' its message, 'e' itself), publish idempotency key ('' none: the
 *        full key name, under the topic's hash tag).
 *
 * Reply, both ops: { created (1 when this call created the stream), creation floor, now (ms,
 * Redis's clock; 0 when the call did not need it), length, bytes, ... }
 *   `r`: { ..., floor, holdsAfter (1/0), last generated ID ('' when nothing was ever
 *        appended), first retained ID (''), entries after `after` }
 *   `w`: { ..., per-event results (an ID, '!' and Redis's error, or '=' and the ID of the
 *        event its idempotency key already named: nothing appended), dropped entries
 *        oldest first, first retained ID ('' when unknown to the script), the last ID
 *        before this call's appends (the creation floor on a new stream) }
 *
 * Notification (`w` with appends and a channel): PUBLISH of the JSON
 *   {"o": origin, "p": the last ID before this batch, "i": [new IDs],
 *    "e": [[event, JSON, messageId or ""], ...] (only when the batch's data is small)}
 * so an instance that delivered up to "p" may deliver these next, and one that did not
 * knows it has a gap to fill with XRANGE (docs/architecture.md, "Topics across instances").
 * The writer sends "e" already encoded (ARGV 12) when the batch's data is small: JSON
 * escaping in Node is cheaper than cjson in the script, which blocks Redis while it runs.
 * The script takes it when every event of the batch was appended; when one was refused
 * or named by an idempotency key, it encodes the events it appended itself.
 *
 * Why each part (docs/architecture.md, "Redis topic log"):
 * - The creation floor: a stream created here starts with its last-generated-id and
 *   max-deleted-entry-id at the floor (XSETID), so Redis itself refuses IDs at or below it
 *   and the floor, max(max-deleted-entry-id, cf), never says `0-0` for a stream recreated
 *   after Redis lost data.
 * - Trimming deletes with XDEL, never XTRIM: Redis 7.0's XTRIM does not move
 *   max-deleted-entry-id, XDEL does, and the floor is read from it.
 * - The notification is published by the same script that appends, so its "p" is exactly
 *   the stream's previous last ID: no other writer's append can come between.
 * - A publish idempotency key is checked and set in the same script as its XADD: the same
 *   key from two instances, even at once, is applied once, and costs no extra round trip.
 *   It names the event's ID for PUBLISH_KEY_WINDOW_MS (docs/protocol.md, "Rules").
 * - Trimming walks from the head only, so what is retained is always one range; a pinned
 *   head stops the soft limits, the hard limits squeeze it (core's TrimRules).
 * - The head's ID is kept in the meta hash (`h`): under the count and byte limits, a head
 *   younger than `maxAgeMs` means nothing can be old enough to drop (IDs only grow), so
 *   the walk, its XRANGE and SCARD, is skipped. A head unknown to the hash (a stream from
 *   before the field, a rebuilt hash) is read as before, and recorded.
 */
/** How long a publish idempotency key is remembered on a shared (Redis) topic log: 5 minutes. */
export const PUBLISH_KEY_WINDOW_MS = 300_000;

export const TOPIC_LOG_LUA = `
local stream, meta, pins = KEYS[1], KEYS[2], KEYS[3]
local MAXSEQ = '9007199254740991'
-- Notifications carry the events when a batch's data is at most this many bytes; bigger
-- batches send IDs only and watchers read them with XRANGE.
local CARRY = 8192

local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as < bs)
end

-- Redis's clock, read only when needed (creating a stream, trimming by age).
local now = 0
local function clock()
  if now == 0 then
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return now
end

local created = 0
local cf, bytes, prev, head
if redis.call('EXISTS', stream) == 0 then
  -- New, or lost (Redis restarted empty, the key was deleted): start a new life of the
  -- stream whose floor sits above everything the previous one could have issued.
  cf = ARGV[2]
  if cf == '' then
    cf = (clock() - 1) .. '-' .. MAXSEQ
    if ARGV[3] ~= '' and less(cf, ARGV[3]) then cf = ARGV[3] end
  end
  redis.call('DEL', meta, pins)
  redis.call('XGROUP', 'CREATE', stream, 'spool-create', '$', 'MKSTREAM')
  redis.call('XGROUP', 'DESTROY', stream, 'spool-create')
  if cf ~= '0-0' then redis.call('XSETID', stream, cf, 'MAXDELETEDID', cf) end
  redis.call('HSET', meta, 'cf', cf, 'b', 0)
  bytes = 0
  created = 1
  prev = cf
else
  local m = redis.call('HMGET', meta, 'cf', 'b', 'l', 'h')
  cf = m[1]
  bytes = tonumber(m[2] or '0')
  prev = m[3]
  head = m[4] or nil
  if not cf then
    -- The stream outlived its meta hash: take the floor it shows and count its bytes.
    local info = redis.call('XINFO', 'STREAM', stream)
    for i = 1, #info, 2 do
      if info[i] == 'max-deleted-entry-id' then cf = info[i + 1] end
    end
    bytes = 0
    for _, e in ipairs(redis.call('XRANGE', stream, '-', '+')) do
      for j = 1, #e[2], 2 do
        if e[2][j] == 'd' then bytes = bytes + #e[2][j + 1] end
      end
    end
    redis.call('HSET', meta, 'cf', cf, 'b', bytes)
  end
end

if ARGV[1] == 'r' then
  local after, limit = ARGV[4], tonumber(ARGV[5])
  local info = redis.call('XINFO', 'STREAM', stream)
  local floor, len, last, added, first = cf, 0, '', 0, ''
  for i = 1, #info, 2 do
    local k, v = info[i], info[i + 1]
    if k == 'max-deleted-entry-id' then
      if less(floor, v) then floor = v end
    elseif k == 'length' then len = v
    elseif k == 'last-generated-id' then last = v
    elseif k == 'entries-added' then added = v
    elseif k == 'first-entry' and v then first = v[1]
    end
  end
  if added == 0 then last = '' end
  local held = 0
  if after ~= '0-0' and #redis.call('XRANGE', stream, after, after) > 0 then held = 1 end
  local events = {}
  if limit > 0 then events = redis.call('XRANGE', stream, '(' .. after, '+', 'COUNT', limit) end
  return {created, cf, now, len, bytes, floor, held, last, first, events}
end

-- 'w': append, then trim.
local trim = ARGV[4] == '1'
local maxEvents, maxBytes, maxAge = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local hardEvents, hardBytes = tonumber(ARGV[8]), tonumber(ARGV[9])
local channel, origin = ARGV[10], ARGV[11]
local encoded = ARGV[12]
local unpins = tonumber(ARGV[13])
local i = 14 + unpins
if not prev then
  -- A stream from before the 'l' field: its last-generated-id says the same.
  local info = redis.call('XINFO', 'STREAM', stream)
  for k = 1, #info, 2 do
    if info[k] == 'last-generated-id' then prev = info[k + 1] end
  end
end

local results = {}
local added = 0
-- The appended events' IDs, and where each one's arguments start.
local ids, at, carriedBytes = {}, {}, 0
local nargs = #ARGV
while i <= nargs do
  local id, ev, d, m, pin, key = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  -- Only an explicit ID can be refused; a generated one takes the plain (cheaper) call.
  local add = id == '*' and redis.call or redis.pcall
  local r
  local had = key ~= '' and redis.call('GET', key)
  if had then
    r = {err = false, dup = had}
  elseif m == '' then
    r = add('XADD', stream, id, 'e', ev, 'd', d)
  else
    r = add('XADD', stream, id, 'e', ev, 'd', d, 'm', m)
  end
  if type(r) == 'table' and r.dup then
    results[#results + 1] = '=' .. r.dup
  elseif type(r) == 'table' and r.err then
    results[#results + 1] = '!' .. r.err
  else
    if key ~= '' then redis.call('SET', key, r, 'PX', ${PUBLISH_KEY_WINDOW_MS}) end
    results[#results + 1] = r
    bytes = bytes + #d
    added = added + 1
    ids[added] = r
    at[added] = i
    carriedBytes = carriedBytes + #d
    if pin == 'm' then redis.call('SADD', pins, 'm:' .. m)
    elseif pin == 'e' then redis.call('SADD', pins, 'e:' .. r) end
  end
  i = i + 6
end

local appends = (nargs - 13 - unpins) / 6
-- After the appends: a batch may pin a message and then end it (persisted).
if added > 0 then
  if channel ~= '' then
    if encoded ~= '' and added == appends and carriedBytes <= CARRY and prev then
      -- IDs are digits and a dash: only the origin needs encoding.
      redis.call('PUBLISH', channel, '{"o":' .. cjson.encode(origin) .. ',"p":"' .. prev
        .. '","i":["' .. table.concat(ids, '","') .. '"],"e":' .. encoded .. '}')
    else
      local note = {o = origin, p = prev, i = ids}
      if carriedBytes <= CARRY then
        local carried = {}
        for k = 1, added do carried[k] = {ARGV[at[k] + 1], ARGV[at[k] + 2], ARGV[at[k] + 3]} end
        note.e = carried
      end
      redis.call('PUBLISH', channel, cjson.encode(note))
    end
  end
end

if unpins > 0 then
  local keys = {}
  for k = 14, 13 + unpins do keys[#keys + 1] = ARGV[k] end
  redis.call('SREM', pins, unpack(keys))
end

local len = redis.call('XLEN', stream)
local knownHead = head
-- Appends only go after the last entry: the head changes when they land in an empty stream.
if added > 0 and len == added then head = ids[1] end
local dropped, first = {}, ''
-- As in memory, an append that was refused trims nothing; a call without appends is a trim.
local over = len > maxEvents or bytes > maxBytes or len > hardEvents or bytes > hardBytes
if trim and (added > 0 or appends == 0) and (len > maxEvents or bytes > maxBytes or maxAge >= 0) then
  local cutoff = maxAge >= 0 and clock() - maxAge or -1
  if not over and head and len > 0 and parse(head) > cutoff then
    -- Within the limits and the head too young to drop: the walk would stop at the head.
    first = head
  else
    local pinned = redis.call('SCARD', pins) > 0
    local dels, start, done = {}, '-', false
    -- Age alone usually drops nothing: look at the head only, then read on in pages.
    local count = (len > maxEvents or bytes > maxBytes) and 64 or 1
    while not done do
      local heads = redis.call('XRANGE', stream, start, '+', 'COUNT', count)
      count = 64
      if #heads == 0 then break end
      for _, e in ipairs(heads) do
        local id, f = e[1], e[2]
        local d, m = '', nil
        for j = 1, #f, 2 do
          if f[j] == 'd' then d = f[j + 1] elseif f[j] == 'm' then m = f[j + 1] end
        end
        local ms = parse(id)
        local past = len > maxEvents or bytes > maxBytes or ms <= cutoff
        local hold = false
        if past and pinned then
          hold = (m ~= nil and redis.call('SISMEMBER', pins, 'm:' .. m) == 1)
            or redis.call('SISMEMBER', pins, 'e:' .. id) == 1
        end
        if (past and not hold) or len > hardEvents or bytes > hardBytes then
          dels[#dels + 1] = id
          dropped[#dropped + 1] = e
          len = len - 1
          bytes = bytes - #d
          if pinned then redis.call('SREM', pins, 'e:' .. id) end
        else
          first = id
          done = true
          break
        end
      end
      start = '(' .. heads[#heads][1]
    end
    -- Chunks keep unpack() under Lua's stack limit.
    for k = 1, #dels, 1000 do
      redis.call('XDEL', stream, unpack(dels, k, math.min(k + 999, #dels)))
    end
  end
end
if len == 0 then head = nil elseif first ~= '' then head = first end
local set = {}
if added > 0 then set = {'b', bytes, 'l', ids[added]} elseif #dropped > 0 then set = {'b', bytes} end
if head ~= knownHead then
  if head then
    set[#set + 1] = 'h'
    set[#set + 1] = head
  else
    redis.call('HDEL', meta, 'h')
  end
end
if #set > 0 then redis.call('HSET', meta, unpack(set)) end
return {created, cf, now, len, bytes, results, dropped, first, prev}
`;
