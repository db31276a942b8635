-- recover: fail, as "stalled", active jobs whose lease expired (their worker died or hung).
-- They retry by the usual rules, so nothing is lost: at-least-once.
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  now (ms)
-- ARGV[2]  at most this many jobs per call
-- Returns  the recovered ids
-- Events   failed attempt / enqueue, or failed (as fail.lua; + remove: KEEP)

local now = tonumber(ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', K.leases(), '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, member in ipairs(expired) do
  local id = idof(member)
  local f = redis.call('HMGET', K.job(id), 'state', 'type', 'cancelled')
  if f[1] == 'active' and f[3] then  -- cancelled, and its worker died: it ends cancelled
    cancel_ended(id, f[2], 'active', now)
    out[#out + 1] = tonumber(id)
  elseif f[1] == 'active' then
    local reply = fail_attempt(id, member, f[2], now, 'stalled',
      'lease expired: the worker stopped renewing it', -1)
    count_failure(f[2], reply[1])
    if reply[1] == 'failed' then settled(id, f[2], 'failed', now) end
    out[#out + 1] = tonumber(id)
  else
    redis.call('ZREM', K.leases(), member)
  end
end
retain('failed', now, #out)
return out
