-- save: create new jobs (one or many), each inactive, or delayed when it has a delay.
-- KEYS[1]  the queue's base key "{prefix}"; per-job keys are derived from it (all share the
--          hash tag, so one Cluster slot) -- the one deliberate departure from declaring keys.
-- ARGV[1]  now (ms)
-- ARGV[2]  number of jobs n; then 10 values per job:
--          type, data (JSON), priority, max_attempts, delay (ms), ttl (ms), backoff (JSON or ''),
--          remove_on_complete ('1' or ''), search_keys (JSON or ''), search words (space-separated)
--          then, only when some job has extras, one JSON object (or '') per job: unique key,
--          dependencies, periodic tick (includes/save_extras.lua)
-- Returns  the new ids, in order; for a job not created, -id of the live job holding its
--          unique key, or 0 when its periodic tick was taken already
-- Errors   BADJOB (a dependency does not exist; nothing is written)
-- Events   enqueue (inactive jobs), delayed (delayed jobs)

local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local ids = {}
local extras, bad = save_extras(n)
if bad then return redis.error_reply(bad) end
for i = 0, n - 1 do repeat
  local skipped = extras[i + 1] and save_skipped(extras[i + 1], ARGV[3 + i * 10])
  if skipped then ids[i + 1] = skipped; break end
  local a = 3 + i * 10
  local jtype, data, priority = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  local delay, ttl = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
  local id = tostring(redis.call('INCR', K.ids()))
  local member = zid(id)
  local jk = K.job(id)
  redis.call('HSET', jk, 'type', jtype, 'data', data, 'priority', ARGV[a + 2],
    'max_attempts', ARGV[a + 3], 'attempts', '0', 'created_at', int(now),
    'promote_at', int(now + delay), 'updated_at', int(now), 'progress', '0')
  if delay > 0 then redis.call('HSET', jk, 'delay', int(delay)) end
  if ttl > 0 then redis.call('HSET', jk, 'ttl', int(ttl)) end
  if ARGV[a + 6] ~= '' then redis.call('HSET', jk, 'backoff', ARGV[a + 6]) end
  if ARGV[a + 7] ~= '' then redis.call('HSET', jk, 'removeOnComplete', 'true') end
  if ARGV[a + 8] ~= '' then redis.call('HSET', jk, 'search_keys', ARGV[a + 8]) end
  for word in string.gmatch(ARGV[a + 9], '%S+') do
    redis.call('SADD', K.search_word(word), id)
    redis.call('SADD', K.search_object(id), word)
  end
  redis.call('SADD', K.types(), jtype)
  redis.call('ZADD', K.jobs(), tonumber(id), member)
  if save_placed(extras[i + 1], id, member, jtype, now) then  -- waiting for dependencies
  elseif delay > 0 then
    enter_delayed(id, member, jtype, now + delay, now)
    emit('delayed', id, jtype, '[]')
  else
    enter_inactive(id, member, jtype, priority, now)
  end
  ids[i + 1] = tonumber(id)
until true end
return ids
