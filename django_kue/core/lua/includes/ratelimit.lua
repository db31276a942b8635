-- Rate limits (core/ratelimit.py): at most `limit` jobs of a type start per window of
-- `window` ms, across all workers; one counter per fixed window, {q}:rate:<type>:<index>.
-- claim.lua gets a limited type's count as "want:limit:window". When the window is spent it
-- claims none of the type and lowers its reply's next due time to the window's end, so the
-- worker sleeps until then; the jobs stay inactive.

local RATE = {}
local RATE_DUE = -1

-- How many jobs of the type may start now (at most want).
local function rate_allowance(spec, jtype, now)
  local want, limit, window = string.match(spec or '', '^(%d+):(%d+):(%d+)$')
  want, limit, window = tonumber(want), tonumber(limit), tonumber(window)
  if not want or window <= 0 then return 0 end
  local index = math.floor(now / window)
  local key = K.rate(jtype, int(index))
  local allowed = math.max(0, math.min(want, limit - (tonumber(redis.call('GET', key)) or 0)))
  RATE[jtype] = {key, window}
  if allowed == 0 and (RATE_DUE < 0 or (index + 1) * window < RATE_DUE) then
    RATE_DUE = (index + 1) * window
  end
  return allowed
end

local function rate_spend(jtype, count)
  local r = RATE[jtype]
  if r and count > 0 then
    redis.call('INCRBY', r[1], count)
    redis.call('PEXPIRE', r[1], r[2] * 2)
  end
end

-- The claim's next due time, or the end of a spent window when that comes first.
local function rate_due(due)
  if RATE_DUE >= 0 and (due < 0 or RATE_DUE < due) then return RATE_DUE end
  return due
end
