-- complete: finish active jobs successfully, in a batch (the worker pipelines completions).
-- A job whose token no longer matches (lease lost, moved or removed) is left alone.
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  now (ms)
-- ARGV[2..] groups of 4: id, token, duration (ms), result (JSON, or '' for none)
-- Returns  per job: 1 completed, 0 refused (the caller no longer holds it)
-- Events   complete (result), then remove when removeOnComplete (Kue sent them the other way)
--          or when KUE["KEEP"] removes old complete jobs;
--          failed ("cancelled") for a job cancelled while it ran (includes/settle.lua)
-- Cost     per job one HMGET, one HSET and the events; the zsets (active, complete, leases),
--          the work-time counter and the duration histogram change once per type and call

local now = tonumber(ARGV[1])
local out = {}
local completed = 0
local work = 0
local left, entered, order = {}, {}, {}  -- per type: members leaving active / entering complete
local leased = {}
for a = 2, #ARGV, 4 do
  local id, token, duration, result = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local jk = K.job(id)
  local f = redis.call('HMGET', jk, 'state', 'token', 'type', 'removeOnComplete', 'attempts',
    'cancelled', 'unique_key', 'dependents')
  if f[1] ~= 'active' or f[2] ~= token then
    out[#out + 1] = 0
  elseif f[6] then  -- cancelled while running: its handler stopped, it did not complete
    cancel_ended(id, f[3], 'active', now)
    out[#out + 1] = 1
  else
    local member, jtype = zid(id), f[3]
    if not left[jtype] then
      left[jtype], entered[jtype] = {}, {}
      order[#order + 1] = jtype
    end
    local l = left[jtype]
    l[#l + 1] = member
    leased[#leased + 1] = member
    local fields = {'state', 'complete', 'progress', '100', 'updated_at', int(now),
      'duration', duration, 'attempts', int((tonumber(f[5]) or 0) + 1)}
    if result ~= '' then fields[#fields + 1] = 'result'; fields[#fields + 1] = result end
    redis.call('HSET', jk, unpack(fields))
    work = work + (tonumber(duration) or 0)
    observe_duration(jtype, duration)
    emit('complete', id, jtype, '[' .. (result ~= '' and result or 'null') .. ']')
    if f[7] or f[8] then settled(id, jtype, 'complete', now) end  -- unique key, dependents
    if f[4] then
      erase(id, member, jtype, nil)
      emit('remove', id, jtype, cjson.encode({jtype}))
    else
      local e = entered[jtype]
      e[#e + 1] = now
      e[#e + 1] = member
    end
    out[#out + 1] = 1
    completed = completed + 1
  end
end
if completed > 0 then
  for _, jtype in ipairs(order) do
    bulk('ZREM', K.state('active'), left[jtype])
    bulk('ZREM', K.type_state(jtype, 'active'), left[jtype])
    if #entered[jtype] > 0 then
      bulk('ZADD', K.state('complete'), entered[jtype])
      bulk('ZADD', K.type_state(jtype, 'complete'), entered[jtype])
    end
  end
  bulk('ZREM', K.leases(), leased)
  redis.call('INCRBY', K.work_time(), int(work))
  count_second(now, 'complete', completed)
  flush_durations()
end
retain('complete', now, completed)
return out
