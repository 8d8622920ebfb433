-- Shared by the wrk scripts of bench/run and bench/scale, loaded first by each with dofile. wrk
-- runs a script once in the main Lua state (setup, done) and once per thread (init, request,
-- response).
--
-- What it adds:
--   * the bearer token from BENCH_TOKEN (bench.authenticate());
--   * a count of responses by status code, per thread (bench.count_statuses(); it costs a Lua
--     call per response, so the healthz probe does without);
--   * done(): one machine-readable line, read by bench/report.py:
--       BENCH name=list requests=51234 duration_s=10.00 rps=5123.1 p50_us=5800 p90_us=... \
--             p99_us=9100 max_us=... non2xx=0 connect_err=0 read_err=0 write_err=0 \
--             timeout_err=0 statuses=200:51234
--     Latencies are wrk's, in microseconds; non2xx is wrk's count of responses with status >= 400.
-- Environment: BENCH_NAME (the line's name), BENCH_TOKEN, BENCH_MAX_POST_ID, BENCH_USERS,
-- BENCH_PASSWORD (used by the scripts that need them).

bench = {}
bench.name = os.getenv("BENCH_NAME") or "unnamed"

-- A number from the environment, or die with a clear message.
function bench.env_number(name)
   local value = tonumber(os.getenv(name) or "")
   if not value then
      error(name .. " must be set to a number")
   end
   return value
end

function bench.authenticate()
   local token = os.getenv("BENCH_TOKEN") or ""
   if token == "" then
      error("BENCH_TOKEN must be set to a bearer token")
   end
   wrk.headers["Authorization"] = "Bearer " .. token
end

function bench.count_statuses()
   statuses = {}
   response = function(status, headers, body)
      statuses[status] = (statuses[status] or 0) + 1
   end
end

-- The same sequence of random ids on every run: one seed per thread.
local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_index", #threads)
end

function init(args)
   math.randomseed(4242 + (thread_index or 0))
end

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      local per_thread = thread:get("statuses")
      if type(per_thread) == "table" then
         for status, n in pairs(per_thread) do
            counts[status] = (counts[status] or 0) + n
         end
      end
   end
   local codes = {}
   for status in pairs(counts) do
      table.insert(codes, status)
   end
   table.sort(codes)
   local parts = {}
   for _, status in ipairs(codes) do
      table.insert(parts, string.format("%d:%d", status, counts[status]))
   end

   local seconds = summary.duration / 1e6
   local errors = summary.errors
   io.write(string.format(
      "BENCH name=%s requests=%d duration_s=%.2f rps=%.1f p50_us=%.0f p90_us=%.0f p99_us=%.0f"
         .. " max_us=%.0f non2xx=%d connect_err=%d read_err=%d write_err=%d timeout_err=%d"
         .. " statuses=%s\n",
      bench.name, summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      errors.status, errors.connect, errors.read, errors.write, errors.timeout,
      #parts > 0 and table.concat(parts, ",") or "-"))
end
