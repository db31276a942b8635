-- fields: read some fields of many jobs in one call (the job mirror's reads). Writes nothing.
-- One call with a list of ids replaces a pipeline of one HMGET per job, whose packing cost the
-- mirror more than anything else but the database.
-- KEYS[1]  base key "{prefix}"
-- ARGV[1]  number of field names f; ARGV[2..f+1] the names; then the job ids
-- Returns  per id, the values in the order asked (nil where a field, or the job, is absent)
-- Events   none

local nf = tonumber(ARGV[1])
local names = {}
for i = 1, nf do names[i] = ARGV[1 + i] end
local out = {}
for a = nf + 2, #ARGV do
  out[#out + 1] = redis.call('HMGET', K.job(ARGV[a]), unpack(names))
end
return out
