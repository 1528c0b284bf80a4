-- wrk script: POST /session with an order id no other request of the run uses.
-- The order id joins the cell's tag (args[1]), this wrk thread's number, a per-thread counter and
-- a random number, so threads and cells never collide. Headers (key, content type) come from -H.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  tag = args[1] or "run"
  counter = 0
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
  counter = counter + 1
  local order = string.format("%s-%d-%d-%d", tag, tid or 0, counter, math.random(1, 1000000000))
  local body = '{"amount":10000,"currency":"USD","customer":"bench_customer","order_id":"' .. order ..
    '","description":"Benchmark","metadata":{"plan":"premium"},' ..
    '"items":[{"name":"Premium Plan","quantity":2,"price":5000}]}'
  return wrk.format("POST", "/session", nil, body)
end
