-- wrk script of scripts/bench: posts the realistic chat request (BENCH_BODY, a file) to
-- /v1/chat/completions and prints one machine-readable line at the end:
--   RESULT requests req_per_s p50_us p90_us p99_us status_errors socket_errors
local file = assert(io.open(assert(os.getenv("BENCH_BODY"), "BENCH_BODY not set"), "rb"))
wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
-- The caching example plugin must not answer from its cache: every request goes upstream.
wrk.headers["x-bifrost-cache"] = "bypass"

function done(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format("RESULT %d %.1f %d %d %d %d %d\n",
        summary.requests, summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(90), latency:percentile(99),
        errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
