-- What save.lua does for jobs with extras (core/extras.py): a unique key, dependencies, a
-- periodic tick. They come as one JSON object per job after every job's 10 values:
-- ARGV[3 + 10n + i] ('' for none); jobs without extras cost nothing.

-- The extras of the n jobs by index, or nil and an error when a dependency does not exist
-- (checked before any write, so a bad batch changes nothing).
local function save_extras(n)
  local out, base = {}, 2 + n * 10
  for i = 1, n do
    local raw = ARGV[base + i]
    if raw and raw ~= '' then out[i] = cjson.decode(raw) end
  end
  for _, x in pairs(out) do
    local missing = x.deps and deps_missing(x.deps)
    if missing then return nil, 'BADJOB depends_on: job ' .. missing .. ' doesnt exist' end
  end
  return out
end

-- A job that is not created: 0 when its periodic tick is taken, -id of the live job holding
-- its unique key; nil to create it.
local function save_skipped(x, jtype)
  if x.tick and tick_taken(x.tick[1], x.tick[2]) then return 0 end
  if x.unique then
    local holder = unique_holder(jtype, x.unique)
    if holder then return -holder end
  end
  return nil
end

-- After the job's hash is written: hold its unique key and wait for its dependencies.
-- True when the job is placed already (waiting, or failed for a failed dependency).
local function save_placed(x, id, member, jtype, now)
  if not x then return false end
  if x.tick then redis.call('HSET', K.job(id), 'periodic', x.tick[1], 'tick', int(x.tick[2])) end
  local placed = nil
  if x.deps and #x.deps > 0 then
    placed = deps_wait(id, member, jtype, x.deps, x.on_dependency_failure, now)
  end
  if x.unique and placed ~= 'failed' then unique_hold(id, jtype, x.unique) end
  return placed ~= nil
end
