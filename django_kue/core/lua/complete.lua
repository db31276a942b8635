-- complete: finish active jobs successfully, in a batch (the worker pipelines completions).
-- A job whose token no longer matches (lease lost, moved or removed) is left alone.
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  now (ms)
-- ARGV[2..] groups of 4: id, token, duration (ms), result (JSON, or '' for none)
-- Returns  per job: 1 completed, 0 refused (the caller no longer holds it)
-- Events   complete (result), then remove when removeOnComplete (Kue sent them the other way)
--          or when KUE["KEEP"] removes old complete jobs;
--          failed ("cancelled") for a job cancelled while it ran (includes/settle.lua)

local now = tonumber(ARGV[1])
local out = {}
local completed = 0
for a = 2, #ARGV, 4 do
  local id, token, duration, result = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local jk = K.job(id)
  local f = redis.call('HMGET', jk, 'state', 'token', 'type', 'removeOnComplete', 'cancelled',
    'unique_key', 'dependents')
  if f[1] ~= 'active' or f[2] ~= token then
    out[#out + 1] = 0
  elseif f[5] then  -- cancelled while running: its handler stopped, it did not complete
    cancel_ended(id, f[3], 'active', now)
    out[#out + 1] = 1
  else
    local member, jtype = zid(id), f[3]
    leave(member, jtype, 'active')
    redis.call('ZREM', K.leases(), member)
    redis.call('HINCRBY', jk, 'attempts', 1)
    redis.call('HSET', jk, 'state', 'complete', 'progress', '100', 'updated_at', int(now),
      'duration', duration)
    if result ~= '' then redis.call('HSET', jk, 'result', result) end
    redis.call('INCRBY', K.work_time(), duration)
    observe_duration(jtype, duration)
    emit('complete', id, jtype, '[' .. (result ~= '' and result or 'null') .. ']')
    if f[6] or f[7] then settled(id, jtype, 'complete', now) end  -- unique key, dependents
    if f[4] then
      erase(id, member, jtype, nil)
      emit('remove', id, jtype, cjson.encode({jtype}))
    else
      enter(member, jtype, 'complete', now)
    end
    out[#out + 1] = 1
    completed = completed + 1
  end
end
if completed > 0 then count_second(now, 'complete', completed) end
retain('complete', now, completed)
return out
