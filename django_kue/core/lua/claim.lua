-- claim: promote due delayed jobs, then take the next inactive jobs of the given types for a
-- worker: priority order, FIFO within a priority. Each claimed job gets a fencing token and a
-- lease; only the holder of the token may complete or fail it.
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  now (ms)
-- ARGV[2]  worker id (stored as workerId)
-- ARGV[3]  lease (ms)
-- ARGV[4]  promotion limit (jobs per call)
-- ARGV[5..] pairs: type, how many to claim at most ("want:limit:window" for a rate-limited
--          type: includes/ratelimit.lua; its next due time then includes the window's end)
-- Returns  {next_due_ms or -1, jobs promoted, {id, field, value, ...} per claimed job...}: the
--          hash as read, then the fields claiming changed (a field's last value is its value)
-- Events   promotion + enqueue (promoted jobs), start (claimed jobs)
-- Cost     per job one HGETALL (read and reply), one HSET and the event; the zsets
--          (inactive, active, leases) change once per type and call (bulk)

local now, worker, lease = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local snow = int(now)
local promoted = promote(now, tonumber(ARGV[4]))
local out = {0, promoted}
for a = 5, #ARGV, 2 do
  local jtype, want = ARGV[a], tonumber(ARGV[a + 1]) or rate_allowance(ARGV[a + 1], ARGV[a], now)
  if want > 0 then
    local popped = redis.call('ZPOPMIN', K.type_state(jtype, 'inactive'), want)
    rate_spend(jtype, #popped / 2)
    local members, active, leased = {}, {}, {}
    local started = cjson.encode({jtype})
    for p = 1, #popped, 2 do
      local member = popped[p]
      local id = idof(member)
      local jk = K.job(id)
      members[#members + 1] = member
      local job = redis.call('HGETALL', jk)
      if #job > 0 then  -- (no hash: removed meanwhile)
        local priority, token, had_duration = 0, 0, false
        for f = 1, #job, 2 do
          local field = job[f]
          if field == 'priority' then priority = tonumber(job[f + 1]) or 0
          elseif field == 'token' then token = tonumber(job[f + 1]) or 0
          elseif field == 'duration' then had_duration = true end
        end
        local changed = {'token', int(token + 1), 'state', 'active', 'started_at', snow,
          'updated_at', snow, 'workerId', worker}
        redis.call('HSET', jk, unpack(changed))
        if had_duration then
          redis.call('HDEL', jk, 'duration')
          changed[#changed + 1] = 'duration'
          changed[#changed + 1] = ''
        end
        active[#active + 1] = priority
        active[#active + 1] = member
        leased[#leased + 1] = now + lease
        leased[#leased + 1] = member
        emit('start', id, jtype, started)
        -- the hash as read, then what changed: a reader keeps a field's last value
        table.insert(job, 1, id)
        for c = 1, #changed do job[#job + 1] = changed[c] end
        out[#out + 1] = job
      end
    end
    if #members > 0 then bulk('ZREM', K.state('inactive'), members) end
    if #active > 0 then
      bulk('ZADD', K.state('active'), active)
      bulk('ZADD', K.type_state(jtype, 'active'), active)
      bulk('ZADD', K.leases(), leased)
    end
  end
end
out[1] = rate_due(next_due())
return out
