-- promote: move due delayed jobs to inactive now (workers also do this on every claim).
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  now (ms)
-- ARGV[2]  at most this many jobs
-- Returns  {jobs promoted, next due time (ms) or -1}
-- Events   promotion, enqueue

local promoted = promote(tonumber(ARGV[1]), tonumber(ARGV[2]))
return {promoted, next_due()}
