-- POST /rpc/list_posts, the UI's feed as a server function, anonymous (no token, no cookie) and
-- all from one address (X-Forwarded-For: 198.51.100.66, which the server believes when it
-- trusts 127.0.0.1 as a proxy): a scraper or attacker past its anonymous read budget. The
-- search term has two letters, so an answered request walks the bounded window of the newest
-- posts. Expect mostly 429, each answered after the server's 1 s pause; bench/scale measures
-- a signed-in probe while this runs.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
bench.count_statuses()

wrk.method = "POST"
wrk.path = "/rpc/list_posts"
wrk.body = "query[limit]=10&query[search]=zq&mine=false"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Forwarded-For"] = "198.51.100.66"
