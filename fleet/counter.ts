/**
 * Lua for a counter that never goes back, even if Redis loses its data: each bump sets it
 * to max(current + 1, Redis's clock in ms), like a hybrid logical clock. An emptied Redis
 * then hands out a value above every one it gave before (those were at most the clock of
 * their time plus a few), so a deposed leader's fencing token or a proxy's applied pool
 * version can never look current again. Prepended to the scripts that bump one.
 */
export const BUMP_LUA = `
local function bump(key)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local v = math.max((tonumber(redis.call('GET', key)) or 0) + 1, now)
  local s = string.format('%.0f', v)
  redis.call('SET', key, s)
  return v, s
end
`;
