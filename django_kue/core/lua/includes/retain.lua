-- Retention (KUE["KEEP"], compiled in as KEEP = {state = {count, age}}, -1 meaning no limit):
-- finished jobs beyond the newest `count`, or finished more than `age` ms ago, are removed,
-- oldest first (the complete and failed zsets are scored by finish time). Each removal emits
-- Kue's remove event, so the job mirror follows.

-- Remove up to `limit` jobs of `state` (of type `jtype` when given) beyond `count` or older
-- than `age`; returns how many.
local function trim(state, now, count, age, limit, jtype)
  local key = K.state(state)
  if jtype then key = K.type_state(jtype, state) end
  local n = 0
  if age >= 0 then n = redis.call('ZCOUNT', key, '-inf', '(' .. int(now - age)) end
  if count >= 0 then n = math.max(n, redis.call('ZCARD', key) - count) end
  n = math.min(n, limit)
  if n <= 0 then return 0 end
  local victims = redis.call('ZRANGE', key, 0, n - 1)
  for _, member in ipairs(victims) do
    local id = idof(member)
    local t = redis.call('HGET', K.job(id), 'type') or jtype or ''
    erase(id, member, t, state)
    emit('remove', id, t, cjson.encode({t}))
  end
  return #victims
end

-- Enforce KEEP after `finished` jobs entered `state`. Removes a little more than what
-- arrived, so a backlog (KEEP lowered on a full queue) shrinks without one long call.
local function retain(state, now, finished)
  local keep = KEEP[state]
  if keep and finished > 0 then trim(state, now, keep[1], keep[2], 100 + 2 * finished, nil) end
end
