-- log: append lines to a job's log.
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  id
-- ARGV[2]  token of the worker running it, or '' when logged from outside a worker
-- ARGV[3]  now (ms)
-- ARGV[4..] the lines
-- Returns  1, or 0 when the caller's token is stale or the job is gone
-- Errors   CANCELLED when the job was cancelled while the caller runs it (core/cancel.py)
-- Events   none

local id, token = ARGV[1], ARGV[2]
local jk = K.job(id)
local f = redis.call('HMGET', jk, 'state', 'token', 'type', 'cancelled')
if not f[3] or (token ~= '' and (f[1] ~= 'active' or f[2] ~= token)) then return 0 end
if f[4] and token ~= '' then return redis.error_reply('CANCELLED job ' .. id .. ' was cancelled') end
for a = 4, #ARGV do redis.call('RPUSH', K.log(id), ARGV[a]) end
redis.call('HSET', jk, 'updated_at', ARGV[3])
return 1
