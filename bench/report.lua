-- wrk hooks shared by every scenario. A generated prelude (see bench/wrk.py)
-- sets wrk.method / wrk.body / wrk.headers, `count_statuses` and maybe
-- `bodies` before this.
--
-- done() prints one line, "BENCH_RESULT {json}", so the bench reads numbers
-- rather than scraping wrk's human summary (whose units change with scale).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

-- With a prelude's `bodies` (one list per thread), each request sends the
-- next body of this thread's list, and the last one again once it runs out.
if bodies then
  local sent = 0
  function request()
    local mine = bodies[thread_number]
    sent = math.min(sent + 1, #mine)
    return wrk.format(nil, nil, nil, mine[sent])
  end
end

-- Counting each status needs a response() hook, which makes wrk hand every
-- response to Lua; only scenarios that report a status mix pay for it.
if count_statuses then
  statuses = {}
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

local function number(value)
  if value ~= value or value == math.huge or value == -math.huge then
    return "null"
  end
  return string.format("%.17g", value)
end

local function status_json()
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, count in pairs(counts) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(merged) do
    parts[#parts + 1] = string.format('"%d":%d', status, count)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local e = summary.errors
  local percentiles = {}
  for _, p in ipairs({ 50, 75, 90, 99, 99.9 }) do
    percentiles[#percentiles + 1] = string.format('"%s":%s', tostring(p), number(latency:percentile(p)))
  end
  local fields = {
    '"requests":' .. number(summary.requests),
    '"duration_us":' .. number(summary.duration),
    '"bytes":' .. number(summary.bytes),
    string.format(
      '"errors":{"connect":%s,"read":%s,"write":%s,"status":%s,"timeout":%s}',
      number(e.connect), number(e.read), number(e.write), number(e.status), number(e.timeout)
    ),
    '"latency_us":{"mean":' .. number(latency.mean) .. ',"max":' .. number(latency.max)
      .. ',"stdev":' .. number(latency.stdev) .. ',"percentiles":{' .. table.concat(percentiles, ",") .. "}}",
    '"statuses":' .. (count_statuses and status_json() or "null"),
  }
  io.write("BENCH_RESULT {" .. table.concat(fields, ",") .. "}\n")
end
