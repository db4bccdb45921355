-- wrk script of the harness's wrk loader (harness/load/wrk.ts): after the run, prints ONE line of
-- JSON with what wrk counted, so that nothing is scraped from its human-readable report.
--   duration: seconds the load really ran (wrk's own clock; -d takes whole seconds)
--   requests: complete responses, any status
--   errors:   socket errors (connect + read + write); timeouts and bad statuses apart
--   timeouts: requests that got no response within --timeout
--   non2xx:   wrk's summary.errors.status: responses with a status above 399 (wrk does not count 3xx)
--   latencyUs: wrk's latency histogram (microseconds, every complete response): p50, p90, p99,
--              p99.9, mean and max
-- Only done() is defined: a request() or response() function would run Lua on every request and
-- slow wrk down.

local function num(x, decimals)
  -- Integers stay integers; JSON has no NaN or infinity.
  if x ~= x or x == math.huge or x == -math.huge then return "null" end
  if x == math.floor(x) and math.abs(x) < 2^53 then return string.format("%d", x) end
  return string.format("%." .. (decimals or 3) .. "f", x)
end

function done(summary, latency, requests)
  local e = summary.errors
  local fields = {
    '"duration":' .. num(summary.duration / 1e6, 6),
    '"requests":' .. num(summary.requests),
    '"bytes":' .. num(summary.bytes),
    '"errors":' .. num(e.connect + e.read + e.write),
    '"connectErrors":' .. num(e.connect),
    '"readErrors":' .. num(e.read),
    '"writeErrors":' .. num(e.write),
    '"timeouts":' .. num(e.timeout),
    '"non2xx":' .. num(e.status),
    '"latencyUs":{' .. table.concat({
      '"p50":' .. num(latency:percentile(50)),
      '"p90":' .. num(latency:percentile(90)),
      '"p99":' .. num(latency:percentile(99)),
      '"p999":' .. num(latency:percentile(99.9)),
      '"mean":' .. num(latency.mean),
      '"max":' .. num(latency.max),
    }, ",") .. "}",
  }
  io.write("{" .. table.concat(fields, ",") .. "}\n")
  io.flush()
end
