-- GET /api/posts/{id} with ids drawn uniformly from 1..BENCH_MAX_POST_ID. Authenticated; ~5% of
-- the seeded posts are other users' drafts, which answer 404 (an expected answer).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
bench.authenticate()
bench.count_statuses()

local max_id = bench.env_number("BENCH_MAX_POST_ID")

function request()
   return wrk.format("GET", "/api/posts/" .. math.random(1, max_id))
end
