-- mirror_lock: hold, renew or release the lock that lets one process at a time sync the Django
-- mirror (two syncers could write an older read of a job over a newer one).
-- KEYS[1]  base key "{prefix}" (the lock key is derived: K.mirror_lock())
-- ARGV[1]  the caller's token
-- ARGV[2]  "hold" (take it if free or ours, and extend it) or "release" (drop it if ours)
-- ARGV[3]  lock lifetime (ms) for "hold"
-- Returns  1 when the caller holds (or released) the lock, 0 when another process holds it
-- Events   none

local key, token = K.mirror_lock(), ARGV[1]
local holder = redis.call('GET', key)
if ARGV[2] == 'release' then
  if holder == token then redis.call('DEL', key) end
  return 1
end
if holder and holder ~= token then return 0 end
redis.call('SET', key, token, 'PX', tonumber(ARGV[3]))
return 1
