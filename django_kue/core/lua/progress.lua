-- progress: record a job's progress (0-100) and optional data.
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  id
-- ARGV[2]  token of the worker running it, or '' when set from outside a worker
-- ARGV[3]  percent
-- ARGV[4]  data (JSON, or '' for none)
-- ARGV[5]  now (ms)
-- Returns  1, or 0 when the caller's token is stale or the job is gone
-- Errors   CANCELLED when the job was cancelled while the caller runs it (core/cancel.py)
-- Events   progress (percent, data)

local id, token = ARGV[1], ARGV[2]
local jk = K.job(id)
local f = redis.call('HMGET', jk, 'state', 'token', 'type', 'cancelled')
if not f[3] or (token ~= '' and (f[1] ~= 'active' or f[2] ~= token)) then return 0 end
if f[4] and token ~= '' then return redis.error_reply('CANCELLED job ' .. id .. ' was cancelled') end
redis.call('HSET', jk, 'progress', ARGV[3], 'updated_at', ARGV[5])
if ARGV[4] ~= '' then redis.call('HSET', jk, 'progress_data', ARGV[4]) end
emit('progress', id, f[3], '[' .. ARGV[3] .. ',' .. (ARGV[4] ~= '' and ARGV[4] or 'null') .. ']')
return 1
