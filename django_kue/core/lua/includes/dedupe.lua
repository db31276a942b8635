-- Unique jobs (core/unique.py): at most one live job per (type, unique_key). The index
-- {q}:unique:<type> maps a key to the job holding it; a job holds its key while inactive,
-- delayed or active and frees it when it ends (settle.lua). The holder's state is checked on
-- every lookup, so an entry left behind by a hand-made change never blocks an enqueue.
-- (Named dedupe.lua so it loads before deps.lua and settle.lua, which call it.)

local LIVE = {inactive = true, delayed = true, active = true}

-- The id of the live job holding (type, key), or nil.
local function unique_holder(jtype, key)
  local id = redis.call('HGET', K.unique(jtype), key)
  if not id then return nil end
  local f = redis.call('HMGET', K.job(id), 'state', 'unique_key')
  if LIVE[f[1]] and f[2] == key then return tonumber(id) end
  return nil
end

local function unique_hold(id, jtype, key)
  redis.call('HSET', K.unique(jtype), key, id)
  redis.call('HSET', K.job(id), 'unique_key', key)
end

-- The job ended: free its key, if it still holds it.
local function unique_release(id, jtype, key)
  if key and redis.call('HGET', K.unique(jtype), key) == tostring(id) then
    redis.call('HDEL', K.unique(jtype), key)
  end
end
