-- heartbeat: renew the leases of the jobs a worker holds; report the ones it lost.
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  now (ms)
-- ARGV[2]  lease (ms)
-- ARGV[3..] pairs: id, token
-- Returns  the ids whose token no longer matches (the worker must abandon them)
-- Events   none

local expiry = tonumber(ARGV[1]) + tonumber(ARGV[2])
local lost = {}
for a = 3, #ARGV, 2 do
  local id, token = ARGV[a], ARGV[a + 1]
  local f = redis.call('HMGET', K.job(id), 'state', 'token')
  if f[1] == 'active' and f[2] == token then
    redis.call('ZADD', K.leases(), 'XX', expiry, zid(id))
  else
    lost[#lost + 1] = tonumber(id)
  end
end
return lost
