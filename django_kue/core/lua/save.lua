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
--          unique key, or 0 when its periodic tick was taken already (its id goes unused)
-- Errors   BADJOB (a dependency does not exist; nothing is written)
-- Events   enqueue (inactive jobs), delayed (delayed jobs)
-- Cost     every redis.call costs a few us, so a batch takes its ids with one INCRBY, writes
--          each job's hash with one HSET, and adds its inactive jobs to the zsets, the types
--          set and the doorbells once per type and call rather than once per job.

local now = tonumber(ARGV[1])
local snow = int(now)  -- formatted once per call
local n = tonumber(ARGV[2])
local ids = {}
local extras, bad = save_extras(n)
if bad then return redis.error_reply(bad) end
local last = redis.call('INCRBY', K.ids(), n)
local all = {}  -- ZADD {q}:jobs: score, member, ...
local queued = {}  -- per type: {priority, member, ...} of its new inactive jobs
local order = {}  -- types in first-seen order
local encoded = {}  -- per type: cjson.encode({type}), Kue's enqueue args
for i = 0, n - 1 do repeat
  local skipped = extras[i + 1] and save_skipped(extras[i + 1], ARGV[3 + i * 10])
  if skipped then ids[i + 1] = skipped; break end
  local a = 3 + i * 10
  local jtype, data, priority = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  local delay, ttl = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
  local id = tostring(last - n + 1 + i)
  local member = zid(id)
  local jk = K.job(id)
  local fields = {'type', jtype, 'data', data, 'priority', ARGV[a + 2],
    'max_attempts', ARGV[a + 3], 'attempts', '0', 'created_at', snow,
    'promote_at', delay > 0 and int(now + delay) or snow, 'updated_at', snow, 'progress', '0'}
  if delay > 0 then fields[#fields + 1] = 'delay'; fields[#fields + 1] = int(delay)
  else fields[#fields + 1] = 'state'; fields[#fields + 1] = 'inactive' end
  if ttl > 0 then fields[#fields + 1] = 'ttl'; fields[#fields + 1] = int(ttl) end
  if ARGV[a + 6] ~= '' then fields[#fields + 1] = 'backoff'; fields[#fields + 1] = ARGV[a + 6] end
  if ARGV[a + 7] ~= '' then fields[#fields + 1] = 'removeOnComplete'; fields[#fields + 1] = 'true' end
  if ARGV[a + 8] ~= '' then fields[#fields + 1] = 'search_keys'; fields[#fields + 1] = ARGV[a + 8] end
  redis.call('HSET', jk, unpack(fields))
  if ARGV[a + 9] ~= '' then
    for word in string.gmatch(ARGV[a + 9], '%S+') do
      redis.call('SADD', K.search_word(word), id)
      redis.call('SADD', K.search_object(id), word)
    end
  end
  all[#all + 1] = tonumber(id)
  all[#all + 1] = member
  local mine = queued[jtype]
  if not mine then
    mine = {}
    queued[jtype] = mine
    order[#order + 1] = jtype
    encoded[jtype] = cjson.encode({jtype})
  end
  if save_placed(extras[i + 1], id, member, jtype, now) then  -- waiting for dependencies
  elseif delay > 0 then
    enter_delayed(id, member, jtype, now + delay, now)
    emit('delayed', id, jtype, '[]')
  else
    -- enter_inactive's work, with the zsets and the doorbell batched below
    mine[#mine + 1] = priority
    mine[#mine + 1] = member
    emit('enqueue', id, jtype, encoded[jtype])
  end
  ids[i + 1] = tonumber(id)
until true end
bulk('ZADD', K.jobs(), all)
for _, jtype in ipairs(order) do
  redis.call('SADD', K.types(), jtype)
  local mine = queued[jtype]
  if #mine > 0 then
    bulk('ZADD', K.state('inactive'), mine)
    bulk('ZADD', K.type_state(jtype, 'inactive'), mine)
    -- one doorbell token per new job, up to WAKE_CAP, as one RPUSH
    local key = K.wake(jtype)
    local room = math.min(WAKE_CAP - redis.call('LLEN', key), #mine / 2)
    if room > 0 then
      local tokens = {}
      for t = 1, room do tokens[t] = '1' end
      redis.call('RPUSH', key, unpack(tokens))
    end
  end
end
return ids
