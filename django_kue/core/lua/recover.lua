-- recover: fail, as "stalled", active jobs whose lease expired (their worker died or hung).
-- They retry by the usual rules, so nothing is lost: at-least-once.
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  now (ms)
-- ARGV[2]  at most this many jobs per call
-- Returns  the recovered ids
-- Events   failed attempt / enqueue, or failed (as fail.lua)

local now = tonumber(ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', K.leases(), '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, member in ipairs(expired) do
  local id = idof(member)
  local f = redis.call('HMGET', K.job(id), 'state', 'type')
  if f[1] == 'active' then
    local failed = fail_attempt(id, member, f[2], now, 'stalled', 'lease expired: the worker stopped renewing it', -1)
    count_failure(f[2], failed[1])
    out[#out + 1] = tonumber(id)
  else
    redis.call('ZREM', K.leases(), member)
  end
end
return out
