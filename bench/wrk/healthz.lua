-- GET /healthz, the liveness probe, at low concurrency while another wrk floods POST /api/login:
-- its p99 shows whether password hashing starves the async workers. No status counting (no
-- per-response Lua call), so the probe itself stays cheap.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

wrk.method = "GET"
wrk.path = "/healthz"
