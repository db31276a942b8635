-- cancel: stop a job (core/cancel.py). An inactive or delayed job (waiting for dependencies
-- too) ends at once: failed, error "cancelled", flag `cancelled`; it does not retry. An active
-- job gets the flag: its handler sees job.cancelled, its next log()/progress() raises
-- Cancelled, and when its worker settles it, it ends cancelled the same way (complete.lua,
-- fail.lua). Jobs waiting for it end too (includes/deps.lua).
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  id
-- ARGV[2]  now (ms)
-- Returns  the job's state before: "active" means asked to stop, the others cancelled
-- Errors   NOTFOUND; BADSTATE when the job is complete or failed already
-- Events   failed ("cancelled") for a job cancelled at once; update (internal: no signal, no
--          job listener) for an active one, so the mirror's row shows the flag now

local id, now = ARGV[1], tonumber(ARGV[2])
local f = redis.call('HMGET', K.job(id), 'state', 'type')
if not f[2] then return redis.error_reply('NOTFOUND job "' .. id .. '" doesnt exist') end
if f[1] == 'complete' or f[1] == 'failed' then
  return redis.error_reply('BADSTATE job ' .. id .. ' is ' .. f[1] ..
    ' already; only inactive, delayed or active jobs can be cancelled')
end
if f[1] == 'active' then
  redis.call('HSET', K.job(id), 'cancelled', '1')
  emit('update', id, f[2], '[]')
else
  cancel_ended(id, f[2], f[1], now)
end
return f[1]
