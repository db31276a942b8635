-- set_priority: change a job's priority; a queued job moves to its new place at once.
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  id
-- ARGV[2]  priority (integer)
-- ARGV[3]  now (ms)
-- Returns  1
-- Errors   NOTFOUND
-- Events   priority (new, old)

local id, priority, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local jk = K.job(id)
local f = redis.call('HMGET', jk, 'state', 'type', 'priority')
if not f[2] then return redis.error_reply('NOTFOUND job "' .. id .. '" doesnt exist') end
redis.call('HSET', jk, 'priority', ARGV[2], 'updated_at', int(now))
if f[1] == 'inactive' or f[1] == 'active' then
  local member = zid(id)
  redis.call('ZADD', K.state(f[1]), 'XX', priority, member)
  redis.call('ZADD', K.type_state(f[2], f[1]), 'XX', priority, member)
end
emit('priority', id, f[2], cjson.encode({priority, tonumber(f[3])}))
return 1
