-- Dependencies (core/dependencies.py). A job saved with depends_on waits, parked in `delayed`
-- with a score no promotion reaches (PARKED) and the field `waiting` = dependencies not yet
-- complete; each dependency lists it in its `dependents` field (a JSON array of ids). When a
-- dependency completes, `waiting` drops; at 0 the job is enqueued (or delayed by its delay).
-- When one fails (or is cancelled or removed), the waiting job fails with error
-- "dependency <id> failed", or is cancelled when saved with on_dependency_failure="cancel";
-- the jobs waiting for it follow in turn.

local PARKED = 1e15  -- ms, year 33658: a delayed score that never comes due

-- The first dependency that does not exist, or nil (checked before save writes anything).
local function deps_missing(list)
  for _, dep in ipairs(list) do
    if redis.call('EXISTS', K.job(dep)) == 0 then return dep end
  end
  return nil
end

-- A job that is not running (or whose run is over) ends as failed: a failed dependency, or a
-- cancel. The `cancelled` flag tells a cancel apart from a failure.
local function end_failed(id, jtype, from, message, cancelled, now)
  local jk, member = K.job(id), zid(id)
  if from then leave(member, jtype, from) end
  redis.call('ZREM', K.leases(), member)
  redis.call('HSET', jk, 'state', 'failed', 'error', message, 'failed_at', int(now),
    'updated_at', int(now))
  if cancelled then redis.call('HSET', jk, 'cancelled', '1') end
  redis.call('HDEL', jk, 'waiting')
  redis.call('RPUSH', K.log(id), message)
  enter(member, jtype, 'failed', now)
  emit('failed', id, jtype, cjson.encode({message}))
end

local function dependents_of(id)
  local raw = redis.call('HGET', K.job(id), 'dependents')
  if not raw then return {} end
  return cjson.decode(raw)
end

-- A new job waits for its dependencies. Returns 'waiting' (parked), 'failed' (a dependency
-- failed already) or nil (all complete: the caller queues it as usual).
local function deps_wait(id, member, jtype, list, policy, now)
  local jk = K.job(id)
  redis.call('HSET', jk, 'depends_on', cjson.encode(list))
  if policy == 'cancel' then redis.call('HSET', jk, 'on_dependency_failure', 'cancel') end
  local pending = {}
  for _, dep in ipairs(list) do
    local state = redis.call('HGET', K.job(dep), 'state')
    if state == 'failed' then
      local cancel = policy == 'cancel'
      end_failed(id, jtype, nil, (cancel and 'cancelled: ' or '') .. 'dependency ' .. dep ..
        ' failed', cancel, now)
      return 'failed'
    end
    if state ~= 'complete' then pending[#pending + 1] = dep end
  end
  if #pending == 0 then return nil end
  for _, dep in ipairs(pending) do
    local children = dependents_of(dep)
    children[#children + 1] = tonumber(id)
    redis.call('HSET', K.job(dep), 'dependents', cjson.encode(children))
  end
  redis.call('HSET', jk, 'state', 'delayed', 'waiting', #pending, 'updated_at', int(now))
  enter(member, jtype, 'delayed', PARKED)
  emit('delayed', id, jtype, '[]')
  return 'waiting'
end

-- A dependency completed: the jobs waiting for it count down, and those with none left go.
local function deps_release(parent, now)
  for _, child in ipairs(dependents_of(parent)) do
    local jk = K.job(child)
    local f = redis.call('HMGET', jk, 'state', 'type', 'waiting', 'priority', 'delay')
    if f[1] == 'delayed' and (tonumber(f[3]) or 0) > 0 then
      if redis.call('HINCRBY', jk, 'waiting', -1) <= 0 then
        local id, member, delay = tostring(child), zid(tostring(child)), tonumber(f[5]) or 0
        redis.call('HDEL', jk, 'waiting')
        leave(member, f[2], 'delayed')
        if delay > 0 then
          enter_delayed(id, member, f[2], now + delay, now)
        else
          enter_inactive(id, member, f[2], tonumber(f[4]) or 0, now)
        end
      end
    end
  end
end

-- A dependency failed (or was cancelled or removed): the jobs waiting for it end, and so do
-- the jobs waiting for those, depth first.
local function deps_cascade(parent, how, now)
  local stack = {{tostring(parent), how}}
  while #stack > 0 do
    local top = table.remove(stack)
    for _, child in ipairs(dependents_of(top[1])) do
      local id = tostring(child)
      local f = redis.call('HMGET', K.job(id), 'state', 'type', 'waiting', 'on_dependency_failure',
        'unique_key')
      if f[1] == 'delayed' and (tonumber(f[3]) or 0) > 0 then
        local cancel = f[4] == 'cancel'
        local message = (cancel and 'cancelled: ' or '') .. 'dependency ' .. top[1] .. ' ' .. top[2]
        end_failed(id, f[2], 'delayed', message, cancel, now)
        unique_release(id, f[2], f[5])
        stack[#stack + 1] = {id, 'failed'}
      end
    end
  end
end
