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
-- Returns  {next_due_ms or -1, jobs promoted, {id, field, value, ...} per claimed job...}
-- Events   promotion + enqueue (promoted jobs), start (claimed jobs)

local now, worker, lease = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local promoted = promote(now, tonumber(ARGV[4]))
local out = {0, promoted}
for a = 5, #ARGV, 2 do
  local jtype, want = ARGV[a], tonumber(ARGV[a + 1]) or rate_allowance(ARGV[a + 1], ARGV[a], now)
  if want > 0 then
    local popped = redis.call('ZPOPMIN', K.type_state(jtype, 'inactive'), want)
    rate_spend(jtype, #popped / 2)
    for p = 1, #popped, 2 do
      local member = popped[p]
      local id = idof(member)
      local jk = K.job(id)
      redis.call('ZREM', K.state('inactive'), member)
      if redis.call('EXISTS', jk) == 1 then
        local priority = tonumber(redis.call('HGET', jk, 'priority')) or 0
        redis.call('HINCRBY', jk, 'token', 1)
        redis.call('HSET', jk, 'state', 'active', 'started_at', int(now), 'updated_at', int(now),
          'workerId', worker)
        redis.call('HDEL', jk, 'duration')
        enter(member, jtype, 'active', priority)
        redis.call('ZADD', K.leases(), now + lease, member)
        emit('start', id, jtype, cjson.encode({jtype}))
        local job = redis.call('HGETALL', jk)
        table.insert(job, 1, id)
        out[#out + 1] = job
      end
    end
  end
end
out[1] = rate_due(next_due())
return out
