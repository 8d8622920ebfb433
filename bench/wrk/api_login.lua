-- POST /api/login, the OAuth2 password form, as a random seeded user (user{n}@bench.example,
-- n in 1..BENCH_USERS, all with the password BENCH_PASSWORD). Each login is an argon2id
-- verification (~25 ms of CPU), so expect a low rate.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
bench.count_statuses()

local users = bench.env_number("BENCH_USERS")
local password = (os.getenv("BENCH_PASSWORD") or ""):gsub("[^%w%-%._~]", function(c)
   return string.format("%%%02X", string.byte(c))
end)
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

function request()
   local body = string.format("username=user%d%%40bench.example&password=%s",
      math.random(1, users), password)
   return wrk.format("POST", "/api/login", nil, body)
end
