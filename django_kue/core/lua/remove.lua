-- remove: delete a job and every trace of it; a worker still running it is fenced out.
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  id
-- Returns  1 removed, 0 no such job
-- Events   remove (type); failed for jobs waiting for it (includes/deps.lua)

local id = ARGV[1]
local f = redis.call('HMGET', K.job(id), 'state', 'type')
if not f[2] then return 0 end
settled(id, f[2], 'removed', nil)
erase(id, zid(id), f[2], f[1])
emit('remove', id, f[2], cjson.encode({f[2]}))
return 1
