-- POST /api/posts/ with JSON {"title", "content"}; titles numbered per thread. Authenticated.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
bench.authenticate()
bench.count_statuses()

wrk.headers["Content-Type"] = "application/json"
local content = "Written by the benchmark. Short posts are the common case: a paragraph or two, "
   .. "a link, an opinion about a framework. This one is about two hundred characters long."
local counter = 0

function request()
   counter = counter + 1
   local body = string.format('{"title": "Benchmark post %d", "content": "%s"}', counter, content)
   return wrk.format("POST", "/api/posts/", nil, body)
end
