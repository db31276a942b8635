-- Shared helpers, prepended to every script after the generated key builders (K.*) and the
-- per-queue constants EVENTS, STREAM_MAXLEN, WAKE_CAP, and the per-call ORIGIN, COLLECT, EMITTED.
-- Zset members are Kue's "zid": two-digit length of the id, '|', the id (7 -> "01|7"), so
-- members of equal score sort in numeric id order (FIFO within a priority).

local function zid(id) return string.format('%02d|%s', string.len(id), id) end
local function idof(member) return string.sub(member, 4) end
local function int(n) return string.format('%d', n) end

-- An event: appended to the stream (tagged with the caller's ORIGIN, so a reader can skip its
-- own process's events) and, when the caller asked (COLLECT), handed back with the reply.
local function emit(event, id, jtype, args)
  if EVENTS then
    redis.call('XADD', K.events(), 'MAXLEN', '~', STREAM_MAXLEN, '*',
      'event', event, 'id', id, 'type', jtype or '', 'args', args or '[]', 'origin', ORIGIN)
  end
  if COLLECT then EMITTED[#EMITTED + 1] = {event, tostring(id), jtype or '', args or '[]'} end
end

-- Per-second counts of finished attempts, for the dashboard's throughput chart (kept 10 min).
local function count_second(now, field, n)
  local key = K.second(int(math.floor(now / 1000)))
  redis.call('HINCRBY', key, field, n)
  redis.call('EXPIRE', key, 600)
end

local function wake(jtype)
  local key = K.wake(jtype)
  if redis.call('LLEN', key) < WAKE_CAP then redis.call('RPUSH', key, '1') end
end

local function leave(member, jtype, state)
  redis.call('ZREM', K.state(state), member)
  redis.call('ZREM', K.type_state(jtype, state), member)
end

local function enter(member, jtype, state, score)
  redis.call('ZADD', K.state(state), score, member)
  redis.call('ZADD', K.type_state(jtype, state), score, member)
end

-- A job becomes inactive: scored by priority, a doorbell for its type, Kue's enqueue event.
local function enter_inactive(id, member, jtype, priority, now)
  redis.call('HSET', K.job(id), 'state', 'inactive', 'updated_at', int(now))
  enter(member, jtype, 'inactive', priority)
  wake(jtype)
  emit('enqueue', id, jtype, cjson.encode({jtype}))
end

-- A job becomes delayed until `at`; ring the timer when it is now the first due job, so a
-- sleeping worker shortens its wait instead of polling.
local function enter_delayed(id, member, jtype, at, now)
  redis.call('HSET', K.job(id), 'state', 'delayed', 'promote_at', int(at), 'updated_at', int(now))
  enter(member, jtype, 'delayed', at)
  local first = redis.call('ZRANGE', K.state('delayed'), 0, 0)
  if first[1] == member and redis.call('LLEN', K.timer()) < WAKE_CAP then
    redis.call('RPUSH', K.timer(), '1')
  end
end

local function next_due()
  local first = redis.call('ZRANGE', K.state('delayed'), 0, 0, 'WITHSCORES')
  if first[2] then return tonumber(first[2]) end
  return -1
end

-- Move due delayed jobs to inactive (Kue's promoter), at most `limit` per call.
local function promote(now, limit)
  local due = redis.call('ZRANGEBYSCORE', K.state('delayed'), '-inf', now, 'LIMIT', 0, limit)
  for _, member in ipairs(due) do
    local id = idof(member)
    local f = redis.call('HMGET', K.job(id), 'type', 'priority')
    redis.call('ZREM', K.state('delayed'), member)
    if f[1] then
      redis.call('ZREM', K.type_state(f[1], 'delayed'), member)
      emit('promotion', id, f[1], '[]')
      enter_inactive(id, member, f[1], tonumber(f[2]) or 0, now)
    end
  end
  return #due
end

-- The next retry delay (ms) from the job's stored backoff. A Python callable backoff is
-- computed by the worker and passed in instead; without the worker (stall recovery) it
-- falls back to the job's delay.
local function backoff_delay(jk, attempts)
  local f = redis.call('HMGET', jk, 'backoff', 'delay')
  local raw, delay = f[1], tonumber(f[2]) or 0
  if not raw then return -1 end
  if raw == 'true' then return delay end
  local ok, b = pcall(cjson.decode, raw)
  if not ok or type(b) ~= 'table' then return delay end
  local base = tonumber(b.delay) or delay
  local d = base
  if b.type == 'exponential' then
    if base <= 0 then base = 1000 end
    d = base * math.pow(2, math.min(attempts - 1, 40))
  end
  local cap = tonumber(b.maxDelay)
  if cap and d > cap then d = cap end
  return math.floor(d)
end

-- Remove every trace of a job (hash, log, zsets, lease, search index).
local function erase(id, member, jtype, state)
  if state then leave(member, jtype, state) end
  redis.call('ZREM', K.jobs(), member)
  redis.call('ZREM', K.leases(), member)
  local words = redis.call('SMEMBERS', K.search_object(id))
  for _, word in ipairs(words) do redis.call('SREM', K.search_word(word), id) end
  redis.call('DEL', K.job(id), K.log(id), K.search_object(id))
end

-- One failed attempt of an active job: record the error, then retry (delayed with a backoff,
-- inactive without) while attempts remain, else fail for good. Returns {state, made, remaining}.
local function fail_attempt(id, member, jtype, now, message, stack, delay_override)
  local jk = K.job(id)
  local made = redis.call('HINCRBY', jk, 'attempts', 1)
  local f = redis.call('HMGET', jk, 'max_attempts', 'priority')
  local remaining = (tonumber(f[1]) or 1) - made
  leave(member, jtype, 'active')
  redis.call('ZREM', K.leases(), member)
  redis.call('HSET', jk, 'error', message, 'stack', stack, 'failed_at', int(now))
  redis.call('RPUSH', K.log(id), (string.match(message, '[^\n]*')))
  if remaining <= 0 then
    redis.call('HSET', jk, 'state', 'failed', 'updated_at', int(now))
    enter(member, jtype, 'failed', now)
    count_second(now, 'failed', 1)
    emit('failed', id, jtype, cjson.encode({message}))
    return {'failed', made, 0}
  end
  count_second(now, 'failed', 1)
  emit('failed attempt', id, jtype, cjson.encode({message, made}))
  local delay = delay_override
  if delay < 0 then delay = backoff_delay(jk, made) end
  if delay > 0 then
    enter_delayed(id, member, jtype, now + delay, now)
    return {'delayed', made, remaining}
  end
  enter_inactive(id, member, jtype, tonumber(f[2]) or 0, now)
  return {'inactive', made, remaining}
end

-- One command for many values (ZADD key s1 m1 s2 m2 ..., ZREM key m1 m2 ...), in slices:
-- unpack() takes a few thousand values at most. A batch's zsets change once per call this
-- way, not once per job: every redis.call costs a few microseconds of its own.
local function bulk(command, key, values)
  for s = 1, #values, 4000 do
    redis.call(command, key, unpack(values, s, math.min(s + 3999, #values)))
  end
end
