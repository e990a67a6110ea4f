-- wrk script: order entry through the REST API (scripts/load-test). Requests alternate
-- between posting a buy listing below the market and cancelling a listing posted earlier by
-- the same thread, so open orders stay bounded by the connection count (the exchange limits
-- open orders per account). Every POST carries its own Idempotency-Key.
-- Environment: OPENETS_TOKEN (bearer token), OPENETS_INSTRUMENT, OPENETS_PRICE_FEN.
local token = os.getenv("OPENETS_TOKEN")
local instrument = os.getenv("OPENETS_INSTRUMENT") or "CEA24"
local price = tonumber(os.getenv("OPENETS_PRICE_FEN") or "9000")
local counter = 0
-- Each thread's own key prefix, set by setup() (threads' Lua states start alike, so a random
-- number drawn in each would repeat).
tag = "main"
local threads = 0
local to_cancel = {}
local first, last = 1, 0
local places, cancels = 0, 0

function setup(thread)
  threads = threads + 1
  thread:set("tag", os.time() .. "-" .. threads)
end

function request()
  counter = counter + 1
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "load-" .. tag .. "-" .. counter,
  }
  if first <= last then
    local id = to_cancel[first]
    to_cancel[first] = nil
    first = first + 1
    cancels = cancels + 1
    return wrk.format("POST", "/api/v1/exchange/orders/" .. id .. "/cancel", headers, "")
  end
  places = places + 1
  local body = string.format('{"instrument":"%s","side":"buy","priceFen":%d,"quantityTonnes":1}', instrument, price)
  return wrk.format("POST", "/api/v1/exchange/orders", headers, body)
end

function response(status, headers, body)
  -- A placed listing (201 with its orderId; a low buy in listing mode always rests) is
  -- queued for cancelling; a cancel's answer has no orderId.
  if status == 201 or status == 200 then
    local id = body:match('"orderId"%s*:%s*(%d+)')
    if id then
      last = last + 1
      to_cancel[last] = id
    end
  end
end
