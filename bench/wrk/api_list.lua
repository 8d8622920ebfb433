-- GET /api/posts/?limit=10, or with a search term when BENCH_SEARCH is set
-- (GET /api/posts/?limit=10&search=rust), and with BENCH_QUERY appended when set
-- (`&skip=990`, `&before=500000`). Authenticated.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
bench.authenticate()
bench.count_statuses()

local search = os.getenv("BENCH_SEARCH") or ""
wrk.method = "GET"
wrk.path = "/api/posts/?limit=10" .. (search ~= "" and ("&search=" .. search) or "")
   .. (os.getenv("BENCH_QUERY") or "")
