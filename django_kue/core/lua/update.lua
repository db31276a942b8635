-- update: save a job again after changing its options (Kue's job.save() of a saved job).
-- A queued job is re-filed by its new priority; a delayed one gets promote_at = created_at
-- (or failed_at) + delay, as Kue computes it.
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  id
-- ARGV[2]  now (ms)
-- ARGV[3..11] data, priority, max_attempts, delay, ttl, backoff, remove_on_complete,
--          search_keys, search words (as in save.lua)
-- Returns  the job's state
-- Errors   NOTFOUND
-- Events   update

local id, now = ARGV[1], tonumber(ARGV[2])
local jk = K.job(id)
local f = redis.call('HMGET', jk, 'state', 'type', 'created_at', 'failed_at')
if not f[2] then return redis.error_reply('NOTFOUND job "' .. id .. '" doesnt exist') end
local state, jtype, member = f[1], f[2], zid(id)
local priority, delay = tonumber(ARGV[4]), tonumber(ARGV[6])
redis.call('HSET', jk, 'data', ARGV[3], 'priority', ARGV[4], 'max_attempts', ARGV[5],
  'updated_at', int(now))
local function set_or_clear(field, value, keep)
  if keep then redis.call('HSET', jk, field, value) else redis.call('HDEL', jk, field) end
end
set_or_clear('delay', int(delay), delay > 0)
set_or_clear('ttl', ARGV[7], tonumber(ARGV[7]) > 0)
set_or_clear('backoff', ARGV[8], ARGV[8] ~= '')
set_or_clear('removeOnComplete', 'true', ARGV[9] ~= '')
set_or_clear('search_keys', ARGV[10], ARGV[10] ~= '')
for word in string.gmatch(ARGV[11], '%S+') do
  redis.call('SADD', K.search_word(word), id)
  redis.call('SADD', K.search_object(id), word)
end
local from = tonumber(f[4]) or tonumber(f[3]) or now
if state == 'inactive' or state == 'active' then
  redis.call('ZADD', K.state(state), 'XX', priority, member)
  redis.call('ZADD', K.type_state(jtype, state), 'XX', priority, member)
elseif state == 'delayed' then
  leave(member, jtype, 'delayed')
  if from + delay <= now then
    enter_inactive(id, member, jtype, priority, now)
    state = 'inactive'
  else
    enter_delayed(id, member, jtype, from + delay, now)
  end
end
emit('update', id, jtype, '[]')
return state
