-- Monotonic counters for the Prometheus endpoint, in one hash (K.metrics()). Fields:
--   d|<le>|<type>   completed jobs of the type whose duration (ms) fell in that bucket
--                   (not cumulative; <le> is a bound of DURATION_BUCKETS or 'inf')
--   dsum|<type>     sum of those durations (ms)
--   fa|<type>       failed attempts (every one: error, ttl, shutdown, stalled)
--   f|<type>        jobs failed for good (no attempts left)
-- Kept in step with core/metrics.py BUCKETS_MS (a test compares them). Durations: one HINCRBY per bucket and type per call.

local DURATION_BUCKETS = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000}

-- Durations are gathered per call (observe_duration) and written once per bucket and type
-- (flush_durations): a batch of completions costs a few HINCRBYs, not two per job.
local observed = {}  -- field -> increment

local function observe_duration(jtype, duration)
  local ms, le = tonumber(duration) or 0, 'inf'
  for _, bound in ipairs(DURATION_BUCKETS) do
    if ms <= bound then le = tostring(bound) break end
  end
  local bucket, sum = 'd|' .. le .. '|' .. jtype, 'dsum|' .. jtype
  observed[bucket] = (observed[bucket] or 0) + 1
  observed[sum] = (observed[sum] or 0) + math.floor(ms)
end

local function flush_durations()
  for field, by in pairs(observed) do redis.call('HINCRBY', K.metrics(), field, by) end
  observed = {}
end

-- `state` is what fail_attempt returned first: 'failed' when no attempt is left
local function count_failure(jtype, state)
  redis.call('HINCRBY', K.metrics(), 'fa|' .. jtype, 1)
  if state == 'failed' then redis.call('HINCRBY', K.metrics(), 'f|' .. jtype, 1) end
end
