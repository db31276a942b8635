-- fail: one failed attempt of an active job (handler error, TTL exceeded, shutdown).
-- Retries while attempts remain: delayed by the backoff, or inactive without one.
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  now (ms)
-- ARGV[2]  id
-- ARGV[3]  token held by the caller
-- ARGV[4]  error message
-- ARGV[5]  stack (traceback text, may be '')
-- ARGV[6]  retry delay (ms) from a Python callable backoff, or -1 to use the stored backoff
-- Returns  {new state, attempts made, attempts remaining}, or {} when the token is stale
-- Events   failed attempt (+ enqueue when re-queued at once), or failed (+ remove: KEEP)

local now, id, token = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local f = redis.call('HMGET', K.job(id), 'state', 'token', 'type', 'cancelled')
if f[1] ~= 'active' or f[2] ~= token then return {} end
if f[4] then return cancel_ended(id, f[3], 'active', now) end  -- cancelled: no retry
local reply = fail_attempt(id, zid(id), f[3], now, ARGV[4], ARGV[5], tonumber(ARGV[6]))
count_failure(f[3], reply[1])
if reply[1] == 'failed' then
  settled(id, f[3], 'failed', now)
  retain('failed', now, 1)
end
return reply
