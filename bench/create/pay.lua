-- wrk script: pay-plus-provider-webhook. Each line of the file named by args[1] is
-- "<session id>\t<Webhook-Signature>\t<body>" (from sign.py); the lines are split between the wrk
-- threads (args[2] of them), so each session is paid once. A connection POSTs
-- /session/{id}/pay with sandbox_card; when that answers 2xx, the next request of the thread is
-- the session's signed webhook to /webhooks/sandbox. A thread that runs out of sessions sends
-- GET /bench-exhausted (a 404 on both sides), which the runner reports and does not count.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  local count, seen = tonumber(args[2]), 0
  ids, hooks, queue, next_id = {}, {}, {}, 1
  for line in io.lines(args[1]) do
    seen = seen + 1
    local id, hook = line:match("^([^\t]+)\t(.+)$")
    if id and (seen - 1) % count == (tid or 1) - 1 then
      table.insert(ids, id)
      hooks[id] = hook
    end
  end
end

function request()
  local hook = table.remove(queue)
  if hook then
    local tab = hook:find("\t", 1, true)
    return wrk.format("POST", "/webhooks/sandbox", { ["Webhook-Signature"] = hook:sub(1, tab - 1) }, hook:sub(tab + 1))
  end
  local id = ids[next_id]
  if id == nil then
    return wrk.format("GET", "/bench-exhausted")
  end
  next_id = next_id + 1
  return wrk.format("POST", "/session/" .. id .. "/pay", nil, '{"paymentMethodId":"sandbox_card"}')
end

function response(status, headers, body)
  if status < 300 and body then
    local id = body:match('"session_id":"([^"]+)"')
    local hook = id and hooks[id]
    if hook then
      hooks[id] = nil
      table.insert(queue, hook)
    end
  end
end
