-- GET /api/posts/?limit=10, or with a search term when BENCH_SEARCH is set
-- (GET /api/posts/?limit=10&search=rust). Authenticated.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
bench.authenticate()
bench.count_statuses()

local search = os.getenv("BENCH_SEARCH") or ""
wrk.method = "GET"
wrk.path = "/api/posts/?limit=10" .. (search ~= "" and ("&search=" .. search) or "")
