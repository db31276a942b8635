-- A job ended (complete, failed, cancelled or removed): free its unique key and release or
-- end the jobs waiting for it. complete.lua calls it only for jobs with either (one HMGET it
-- does anyway), so the common path pays nothing.

local function settled(id, jtype, outcome, now)
  if not now then
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  local f = redis.call('HMGET', K.job(id), 'unique_key', 'dependents')
  unique_release(id, jtype, f[1])
  if f[2] then
    if outcome == 'complete' then deps_release(id, now) else deps_cascade(id, outcome, now) end
  end
end

-- Cancellation (core/cancel.py): the job ends failed with error "cancelled" and the flag
-- `cancelled`; it does not retry. From inactive or delayed by cancel.lua; from active when
-- its worker settles it (complete.lua / fail.lua see the flag). Returns fail.lua's reply.
local function cancel_ended(id, jtype, from, now)
  end_failed(id, jtype, from, 'cancelled', true, now)
  settled(id, jtype, 'cancelled', now)
  return {'failed', tonumber(redis.call('HGET', K.job(id), 'attempts')) or 0, 0}
end
