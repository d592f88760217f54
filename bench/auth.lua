-- wrk script for the authenticated API targets of bench/run.sh: sends the bearer token taken
-- from $GRIDLOOP_BENCH_TOKEN (a session token from POST /api/v1/auth/login) on every request.
local token = os.getenv("GRIDLOOP_BENCH_TOKEN")
if token == nil or token == "" then
    error("GRIDLOOP_BENCH_TOKEN is not set; bench/run.sh logs in and exports it")
end
wrk.headers["Authorization"] = "Bearer " .. token
