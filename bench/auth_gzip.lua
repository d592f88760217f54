-- As auth.lua, and asks for gzip: what a browser sends for the category list.
local token = os.getenv("GRIDLOOP_BENCH_TOKEN")
if token == nil or token == "" then
    error("GRIDLOOP_BENCH_TOKEN is not set; bench/run.sh logs in and exports it")
end
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept-Encoding"] = "gzip"
