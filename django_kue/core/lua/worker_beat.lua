-- worker_beat: write one worker's record in the workers hash (or delete it, when it stops),
-- and drop the records of workers that stopped beating (killed, or their host is gone).
-- KEYS[1]  base key "{prefix}" (the hash is derived: K.workers())
-- ARGV[1]  worker id
-- ARGV[2]  the worker's record (JSON with a "heartbeat_at" field, ms), or '' to delete it
-- ARGV[3]  stale_before (ms): records whose last beat is older are deleted
-- Returns  the number of worker records left
-- Events   none

local key, worker, record = K.workers(), ARGV[1], ARGV[2]
if record == '' then
  redis.call('HDEL', key, worker)
else
  redis.call('HSET', key, worker, record)
end
local stale_before = tonumber(ARGV[3])
local all = redis.call('HGETALL', key)
local left = 0
for i = 1, #all, 2 do
  local ok, r = pcall(cjson.decode, all[i + 1])
  if not ok or type(r) ~= 'table' or (tonumber(r.heartbeat_at) or 0) < stale_before then
    redis.call('HDEL', key, all[i])
  else
    left = left + 1
  end
end
return left
