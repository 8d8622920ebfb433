-- GET /, the server-rendered home page, as an anonymous browser would ask for it (HTML, gzip).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
bench.count_statuses()

wrk.method = "GET"
wrk.path = "/"
wrk.headers["Accept"] = "text/html"
wrk.headers["Accept-Encoding"] = "gzip"
