-- set_state: move a job to another state by hand (Kue's job.inactive(), job.complete() ...).
-- "active" is refused: only a worker's claim makes a job active. A worker still running the
-- job loses it (its token no longer matches an active job).
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  id
-- ARGV[2]  new state: inactive, delayed, complete or failed
-- ARGV[3]  now (ms)
-- Returns  the previous state
-- Errors   NOTFOUND, BADSTATE
-- Events   enqueue (to inactive), state (otherwise)

local id, to, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local jk = K.job(id)
local f = redis.call('HMGET', jk, 'state', 'type', 'priority', 'delay')
if not f[2] then return redis.error_reply('NOTFOUND job "' .. id .. '" doesnt exist') end
if to == 'active' then
  return redis.error_reply('BADSTATE a job becomes active only when a worker claims it')
end
local from, jtype, member = f[1], f[2], zid(id)
leave(member, jtype, from)
redis.call('ZREM', K.leases(), member)
if to == 'inactive' or to == 'delayed' then  -- a retry: no longer cancelled nor waiting (deps.lua)
  redis.call('HDEL', jk, 'cancelled', 'waiting')
end
if to == 'inactive' then
  enter_inactive(id, member, jtype, tonumber(f[3]) or 0, now)
  return from
elseif to == 'delayed' then
  enter_delayed(id, member, jtype, now + (tonumber(f[4]) or 0), now)
elseif to == 'complete' then
  redis.call('HSET', jk, 'state', 'complete', 'progress', '100', 'updated_at', int(now))
  enter(member, jtype, 'complete', now)
  settled(id, jtype, 'complete', now)
elseif to == 'failed' then
  redis.call('HSET', jk, 'state', 'failed', 'failed_at', int(now), 'updated_at', int(now))
  enter(member, jtype, 'failed', now)
  settled(id, jtype, 'failed', now)
else
  return redis.error_reply('BADSTATE unknown state ' .. to)
end
emit('state', id, jtype, cjson.encode({to, from}))
return from
