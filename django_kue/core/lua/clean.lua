-- clean: remove finished jobs beyond a count or older than an age (manage.py kueclean).
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  now (ms)
-- ARGV[2]  state: complete or failed
-- ARGV[3]  jobs to keep, the newest (-1: no limit)
-- ARGV[4]  age (ms): jobs finished longer ago are removed (-1: no limit)
-- ARGV[5]  at most this many jobs per call (the caller loops)
-- ARGV[6]  job type, or '' for every type
-- Returns  how many jobs were removed
-- Events   remove (per job)

local jtype = ARGV[6]
if jtype == '' then jtype = nil end
return trim(ARGV[2], tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), jtype)
