/**
 * The Lua scripts the Redis store runs: one per take (check every counter condition and every
 * quota, then take all or nothing), one per release, one to read quotas. Each reads the
 * server's clock (`TIME`), so every proxy on the server shares one clock. Quotas are sorted
 * sets of admitted calls (score: ms, member: the take's token), exact like the memory log;
 * counters are hashes of sub-window sums (field: sub-window id), like the memory counter.
 * Conditions come as data (op and values), never as code.
 *
 * take: KEYS = quota keys, then counter keys. ARGV = token, mode ("take" | "check"), quota
 * count, counter count, (max, windowMs) per quota, windowMs per counter, step count, per step
 * (kind "r" | "d", check count, per check (counter index, op, value count, values...,
 * pending)), add count, per add (counter index, amount).
 * Returns: now, denied step (-1: none), denied check, taken (0 | 1), then (remaining,
 * resetInMs, retryAfterMs) per quota, then the sub-window id per add.
 */

const COMMON = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local RING = 61
local function slot_of(w) return math.floor(now / (w / 60)) end
local function num(x) return string.format('%.17g', x) end
`;

export const TAKE_SCRIPT = `${COMMON}
local token, mode = ARGV[1], ARGV[2]
local nq, nc = tonumber(ARGV[3]), tonumber(ARGV[4])
local a = 5
local qmax, qwin, cwin = {}, {}, {}
for i = 1, nq do qmax[i] = tonumber(ARGV[a]); qwin[i] = tonumber(ARGV[a + 1]); a = a + 2 end
for i = 1, nc do cwin[i] = tonumber(ARGV[a]); a = a + 1 end
local steps = {}
local ns = tonumber(ARGV[a]); a = a + 1
for s = 1, ns do
  local step = { kind = ARGV[a], checks = {} }
  local nchecks = tonumber(ARGV[a + 1]); a = a + 2
  for c = 1, nchecks do
    local check = { ci = tonumber(ARGV[a]), op = ARGV[a + 1], vals = {} }
    local nv = tonumber(ARGV[a + 2]); a = a + 3
    for v = 1, nv do check.vals[v] = tonumber(ARGV[a]); a = a + 1 end
    check.pending = tonumber(ARGV[a]); a = a + 1
    step.checks[c] = check
  end
  steps[s] = step
end
local adds = {}
local na = tonumber(ARGV[a]); a = a + 1
for i = 1, na do adds[i] = { ci = tonumber(ARGV[a]), amount = tonumber(ARGV[a + 1]) }; a = a + 2 end

local sums = {}
local function counter_sum(ci)
  if sums[ci] then return sums[ci] end
  local key, current = KEYS[nq + ci], slot_of(cwin[ci])
  local flat = redis.call('HGETALL', key)
  local live, stale = {}, {}
  for i = 1, #flat, 2 do
    local id = tonumber(flat[i])
    if id > current - RING then live[#live + 1] = { id, tonumber(flat[i + 1]) }
    else stale[#stale + 1] = flat[i] end
  end
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  -- The memory store's order (ring position), so that sums of fractions agree exactly.
  table.sort(live, function(x, y) return (x[1] % RING) < (y[1] % RING) end)
  local total = 0
  for _, pair in ipairs(live) do total = total + pair[2] end
  sums[ci] = total
  return total
end

local function holds(op, vals, value)
  if op == 'eq' then return vals[1] ~= nil and value == vals[1] end
  if op == 'neq' then return not (vals[1] ~= nil and value == vals[1]) end
  if op == 'in' or op == 'not_in' then
    local found = false
    for _, v in ipairs(vals) do if value == v then found = true end end
    if op == 'in' then return found end
    return not found
  end
  if op == 'lt' then return value < vals[1] end
  if op == 'lte' then return value <= vals[1] end
  if op == 'gt' then return value > vals[1] end
  if op == 'gte' then return value >= vals[1] end
  if op == 'exists' then return vals[1] == 1 end
  -- regex and contains never hold for a number.
  return false
end

local dstep, dcheck = -1, -1
for s, step in ipairs(steps) do
  local all = true
  for c, check in ipairs(step.checks) do
    if not holds(check.op, check.vals, counter_sum(check.ci) + check.pending) then
      if step.kind == 'r' then dstep, dcheck = s - 1, c - 1 end
      all = false
      break
    end
  end
  if step.kind == 'd' and all then dstep, dcheck = s - 1, 0 end
  if dstep >= 0 then break end
end

for i = 1, nq do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - qwin[i]) end
local retry, taken, slots = {}, 0, {}
if dstep < 0 and mode == 'take' then
  local spent = false
  for i = 1, nq do
    local count = redis.call('ZCARD', KEYS[i])
    retry[i] = 0
    if count >= qmax[i] then
      local at = redis.call('ZRANGE', KEYS[i], count - qmax[i], count - qmax[i], 'WITHSCORES')
      retry[i] = math.max(1, tonumber(at[2]) + qwin[i] - now)
      spent = true
    end
  end
  if not spent then
    for i = 1, nq do
      redis.call('ZADD', KEYS[i], now, token)
      redis.call('PEXPIRE', KEYS[i], qwin[i] + 1000)
    end
    for i, add in ipairs(adds) do
      local key, w = KEYS[nq + add.ci], cwin[add.ci]
      local slot = string.format('%.0f', slot_of(w))
      local before = tonumber(redis.call('HGET', key, slot) or '0')
      redis.call('HSET', key, slot, num(before + add.amount))
      redis.call('PEXPIRE', key, math.ceil(RING * w / 60) + 1000)
      slots[i] = slot
    end
    taken = 1
  end
end

local out = { tostring(now), tostring(dstep), tostring(dcheck), tostring(taken) }
for i = 1, nq do
  local count = redis.call('ZCARD', KEYS[i])
  local reset = 0
  if count > 0 then
    local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    reset = math.max(0, tonumber(first[2]) + qwin[i] - now)
  end
  out[#out + 1] = tostring(math.max(0, qmax[i] - count))
  out[#out + 1] = tostring(reset)
  out[#out + 1] = tostring(retry[i] or 0)
end
for i = 1, #slots do out[#out + 1] = slots[i] end
return out
`;

/**
 * release: KEYS = quota keys, then one counter key per add. ARGV = token, quota count, then
 * (sub-window id, amount) per add. Takes back only what is still counted.
 */
export const RELEASE_SCRIPT = `
local token, nq = ARGV[1], tonumber(ARGV[2])
for i = 1, nq do redis.call('ZREM', KEYS[i], token) end
local a = 3
for i = nq + 1, #KEYS do
  local slot, amount = ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  local before = redis.call('HGET', KEYS[i], slot)
  if before then
    redis.call('HSET', KEYS[i], slot, string.format('%.17g', tonumber(before) - amount))
  end
end
return 1
`;

/** peek: KEYS = quota keys. ARGV = (max, windowMs) per quota. Returns (remaining, resetInMs). */
export const PEEK_SCRIPT = `${COMMON}
local out = {}
for i = 1, #KEYS do
  local max, w = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local since = '(' .. tostring(now - w)
  local count = redis.call('ZCOUNT', KEYS[i], since, '+inf')
  local reset = 0
  if count > 0 then
    local first = redis.call('ZRANGEBYSCORE', KEYS[i], since, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
    reset = math.max(0, tonumber(first[2]) + w - now)
  end
  out[#out + 1] = tostring(math.max(0, max - count))
  out[#out + 1] = tostring(reset)
end
return out
`;

/**
 * A fleet deny set or lifted, and the version bumped, in one step. KEYS = the hash, the
 * version. ARGV = "set" | "del", pattern, value (JSON), most.
 */
export const DENY_SCRIPT = `
local op, pattern = ARGV[1], ARGV[2]
if op == 'del' then
  local gone = redis.call('HDEL', KEYS[1], pattern)
  if gone > 0 then redis.call('INCR', KEYS[2]) end
  return gone
end
if redis.call('HEXISTS', KEYS[1], pattern) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  return -1
end
redis.call('HSET', KEYS[1], pattern, ARGV[3])
redis.call('INCR', KEYS[2])
return 1
`;
