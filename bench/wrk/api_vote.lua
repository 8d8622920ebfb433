-- POST /api/vote/ with JSON {"post_id": random, "dir": 1}. Authenticated. A post the user already
-- voted on answers 409 and another user's draft 404: both are valid answers, counted by status.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
bench.authenticate()
bench.count_statuses()

wrk.headers["Content-Type"] = "application/json"
local max_id = bench.env_number("BENCH_MAX_POST_ID")

function request()
   local body = string.format('{"post_id": %d, "dir": 1}', math.random(1, max_id))
   return wrk.format("POST", "/api/vote/", nil, body)
end
