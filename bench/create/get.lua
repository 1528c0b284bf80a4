-- wrk script: GET /session/{id} for ids that exist, read from the file named by args[1]
-- (one session id a line), picked at random per request.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  ids = {}
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(ids, line) end
  end
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
  return wrk.format("GET", "/session/" .. ids[math.random(1, #ids)])
end
