-- wrk script for bench/api_load.py: replays pre-signed POST /v1/code requests (each nonce once).
-- args: <file of "body\tts\tnonce\tsig" lines> <threads> <origin> <client id>
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local reqs, i = {}, 0
function init(args)
  local path, nthreads, origin, client = args[1], tonumber(args[2]), args[3], args[4]
  local n = 0
  for line in io.lines(path) do
    if n % nthreads == tid then
      local body, ts, nonce, sig = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)")
      reqs[#reqs + 1] = wrk.format("POST", "/v1/code", {
        ["Content-Type"] = "application/json", ["Origin"] = origin, ["X-OTPC-Client"] = client,
        ["X-OTPC-Ts"] = ts, ["X-OTPC-Nonce"] = nonce, ["X-OTPC-Sig"] = sig}, body)
    end
    n = n + 1
  end
end

function request()
  i = i + 1
  return reqs[((i - 1) % #reqs) + 1]  -- wrapping around would replay: the bench sizes the file
end

function done(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %.6f %.1f %.1f %d\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50), latency:percentile(99), bad))
end
