-- GET /posts/{id}, the server-rendered post page, anonymous (HTML, gzip), ids drawn uniformly
-- from 1..BENCH_MAX_POST_ID; ~5% are drafts and answer 404 (an expected answer).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
bench.count_statuses()

wrk.headers["Accept"] = "text/html"
wrk.headers["Accept-Encoding"] = "gzip"
local max_id = bench.env_number("BENCH_MAX_POST_ID")

function request()
   return wrk.format("GET", "/posts/" .. math.random(1, max_id))
end
