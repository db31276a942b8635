-- Periodic jobs (core/periodic.py): every worker's scheduler saves a schedule's job for a
-- tick; {q}:periodic:<name> holds the last tick taken, so one save per tick creates a job
-- however many workers try (exactly once). The first tick a schedule ever sees is recorded
-- without a job: a new schedule starts at its next tick instead of running for a past one.

-- True when this save must not create the job (the tick is taken, or the first ever seen).
local function tick_taken(name, tick)
  local last = tonumber(redis.call('GET', K.periodic(name)))
  if last and last >= tick then return true end
  redis.call('SET', K.periodic(name), int(tick))
  return last == nil
end
