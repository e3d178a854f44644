-- wrk script for bench/desk_peak.py: each wrk thread is one sampling desk with ONE connection
-- (run wrk with -t N -c N), registering people by ID number through the API with a client
-- idempotency key per registration and closing its 10-in-1 tube every ten people, as the desk page does.
--
-- Retries, always with the same key: after 429/503 the desk waits Retry-After seconds and sends the
-- same submission again; when wrk asks for a new request while the last one got no answer (the
-- connection dropped and wrk reconnected), the same submission is sent again. A fraction
-- DESK_WRK_REPLAY of acknowledged registrations is sent once more with the same key (a desk that
-- lost the answer): the server must replay the first answer, never write twice.
--
-- Environment (set by bench/desk_peak.py): DESK_WRK_DIR (folder with ids.<tag>.<n> files, one ID number
-- a line, and where log.<tag>.<n> is written), DESK_WRK_TAG (phase name, part of every key),
-- DESK_WRK_DESKS and DESK_WRK_TOKENS (comma-separated desk ids and API tokens, one per thread),
-- DESK_WRK_RATE (registrations/s per desk; 0 = no pause), DESK_WRK_REPLAY (0..1).
--
-- Log, one line per finished submission: kind (r = registration, c = close, x = replay check, ? = an
-- answer that cannot be this submission's: the desk's client is out of step), key,
-- final HTTP status, attempts, answers 429/503 among them, first send, last send and answer times
-- (ms, monotonic clock), and 1 when the answer said "replayed".

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } lf_timespec;
int clock_gettime(int clk_id, lf_timespec *tp);
]])
local ts = ffi.new("lf_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local counter = 0
function setup(thread)
  thread:set("desk_index", counter)
  counter = counter + 1
end

local ready = false
local verifying = false
local ids, next_id = {}, 1
local desk, tag, token, interval, replay_share, log
local headers_base
local tube, tube_seq, in_tube = nil, 0, 0
local pending = nil -- the submission being sent: {kind, key, body, attempts, first, last}
local inflight = false
local next_at = 0
local wait_until = 0
local replay_queue = {}
local seq = 0

function init(args)
  local n = desk_index
  local dir = os.getenv("DESK_WRK_DIR")
  tag = os.getenv("DESK_WRK_TAG") or "run"
  local desks = {}
  for d in string.gmatch(os.getenv("DESK_WRK_DESKS"), "[^,]+") do
    desks[#desks + 1] = d
  end
  desk = desks[(n % #desks) + 1]
  local tokens = {}
  for t in string.gmatch(os.getenv("DESK_WRK_TOKENS"), "[^,]+") do
    tokens[#tokens + 1] = t
  end
  token = tokens[(n % #tokens) + 1]
  local rate = tonumber(os.getenv("DESK_WRK_RATE") or "0")
  interval = rate > 0 and 1000 / rate or 0
  replay_share = tonumber(os.getenv("DESK_WRK_REPLAY") or "0")
  for line in io.lines(dir .. "/ids." .. tag .. "." .. n) do
    ids[#ids + 1] = line
  end
  log = io.open(dir .. "/log." .. tag .. "." .. n, "w")
  log:setvbuf("line")
  headers_base = { ["Content-Type"] = "application/json", ["Authorization"] = "Token " .. token }
  math.randomseed(n + 1)
  tube_seq = 0
  -- wrk calls request() of its first thread once to check the script, without sending it
  verifying = (n == 0)
  next_at = now_ms() + math.random() * interval -- desks do not all start on the same millisecond
  ready = true
end

local function new_tube()
  tube_seq = tube_seq + 1
  tube = string.format("t%s-%d-%d", tag, desk_index, tube_seq)
  in_tube = 0
end

local function submission(kind, value, key)
  local body = string.format('{"desk": %s, "kind": "%s", "value": "%s", "tube": "%s"}', desk, kind, value, tube)
  return { kind = kind, key = key, body = body, attempts = 0, shed = 0, first = nil, last = nil }
end

local function next_submission()
  if #replay_queue > 0 then
    return table.remove(replay_queue, 1)
  end
  if tube == nil then
    new_tube()
  end
  seq = seq + 1
  if in_tube >= 10 then
    local barcode = string.format("B%s-%d-%d", tag, desk_index, tube_seq)
    return submission("close", barcode, string.format("%s-c-%d-%d", tag, desk_index, seq))
  end
  local number = ids[next_id]
  if number == nil then
    return nil
  end
  next_id = next_id + 1
  return submission("scan", number, string.format("%s-r-%d-%d", tag, desk_index, seq))
end

function delay()
  if not ready then
    return 0
  end
  local now = now_ms()
  if wait_until > now then
    return wait_until - now
  end
  if pending ~= nil or interval == 0 then
    return 0
  end
  if next_at > now then
    return next_at - now
  end
  return 0
end

function request()
  if not ready or verifying then
    verifying = false
    return wrk.format("GET", "/healthz")
  end
  if pending ~= nil and inflight then
    pending.dropped = true -- no answer came: the connection dropped; send the same submission again
  end
  if pending == nil then
    pending = next_submission()
    if pending == nil then -- out of ID numbers: idle until wrk stops
      wait_until = now_ms() + 1000
      return wrk.format("GET", "/healthz")
    end
    if pending.kind == "scan" and not pending.replay then
      next_at = math.max(next_at + interval, now_ms() - 1000)
    end
  end
  local now = now_ms()
  pending.attempts = pending.attempts + 1
  pending.first = pending.first or now
  pending.last = now
  inflight = true
  local headers = {}
  for k, v in pairs(headers_base) do
    headers[k] = v
  end
  headers["Idempotency-Key"] = pending.key
  return wrk.format("POST", "/api/v1/screening/samples/", headers, pending.body)
end

function response(status, headers, body)
  inflight = false
  if pending == nil then
    return
  end
  if status == 429 or status == 503 then
    pending.shed = pending.shed + 1
    local after = tonumber(headers["Retry-After"] or headers["retry-after"] or "1") or 1
    wait_until = now_ms() + after * 1000
    next_at = math.max(next_at, wait_until)
    return -- the same submission goes again after the wait
  end
  local replayed = (string.find(body, '"replayed": *true') ~= nil) and 1 or 0
  local kind = pending.replay and "x" or (pending.kind == "scan" and "r" or "c")
  if (pending.kind == "scan" and status == 200) or (pending.kind == "close" and status == 201) then
    kind = "?" -- an answer to another submission: wrk sent two on one connection (see desk_peak.py)
  end
  log:write(
    string.format(
      "%s %s %d %d %d %.1f %.1f %.1f %d\n",
      kind,
      pending.key,
      status,
      pending.attempts,
      pending.shed,
      pending.first,
      pending.last,
      now_ms(),
      replayed
    )
  )
  if pending.kind == "scan" and not pending.replay and status == 201 then
    in_tube = in_tube + 1
    if replay_share > 0 and math.random() < replay_share then
      local again = { kind = pending.kind, key = pending.key, body = pending.body, attempts = 0, shed = 0, replay = true }
      replay_queue[#replay_queue + 1] = again
    end
  elseif pending.kind == "close" and (status == 200 or status == 409) then
    new_tube()
  end
  pending = nil
end

function done(summary, latency, requests)
  -- figures come from the per-desk logs (bench/desk_peak.py); wrk's own summary is printed above
end
