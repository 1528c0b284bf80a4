// Load for bench/failover/run.sh: creates and reads through every live node, a node killed (or
// each node restarted) mid-run, and what the clients saw, second by second.
// Usage: dotnet run load.cs -- <events file> <key> <seconds> <connections> <url>[,<url>...]
// Reads control lines from stdin: "down <url>" (stop sending there), "up <url>" (send again), "mark <text>",
// "stop" (end the run now). Seconds 0: the run lasts until "stop" (a rolling restart takes as long as it takes).
// Writes one line per request to the events file: start (s since start), latency (ms), status
// (0: no answer: refused, reset or 60 s timeout), op (create/read), node index, session id.
// At the end, reads every acknowledged create back (through the first live node) and prints
// "unreadable <n>".
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

var eventsPath = args[0];
var key = args[1];
var seconds = int.Parse(args[2], CultureInfo.InvariantCulture);
var connections = int.Parse(args[3], CultureInfo.InvariantCulture);
var urls = args[4].Split(',');
var down = new ConcurrentDictionary<int, bool>();
var clock = Stopwatch.StartNew();
var events = new ConcurrentQueue<string>();
var created = new ConcurrentBag<string>();
var readable = new List<string>();
var readableLock = new object();
// Sessions whose read just failed, read again first (not before the time given), so the report
// sees when each came back rather than when a random pick happened to reach it again.
var recheck = new ConcurrentQueue<(string Id, TimeSpan NotBefore)>();
var stopAt = TimeSpan.MaxValue;

using var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30), MaxConnectionsPerServer = connections };
using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

_ = Task.Run(async () =>
{
    while (await Console.In.ReadLineAsync() is { } line)
    {
        var parts = line.Split(' ', 2);
        if (parts[0] == "stop")
        {
            stopAt = clock.Elapsed;
            events.Enqueue(string.Create(CultureInfo.InvariantCulture, $"# {clock.Elapsed.TotalSeconds:F3} stop"));
            continue;
        }

        if (parts.Length < 2)
        {
            continue;
        }

        var index = Array.IndexOf(urls, parts[1]);
        if (parts[0] == "down" && index >= 0)
        {
            down[index] = true;
        }
        else if (parts[0] == "up" && index >= 0)
        {
            down.TryRemove(index, out _);
        }

        events.Enqueue(string.Create(CultureInfo.InvariantCulture, $"# {clock.Elapsed.TotalSeconds:F3} {line}"));
    }
});

// The run's seconds count from the moment the first 200 sessions exist (JIT, pools and
// activations warm); run.sh waits for the "warm" line before it kills or restarts anything.
var duration = seconds > 0 ? TimeSpan.FromSeconds(seconds) : TimeSpan.MaxValue;
var deadline = TimeSpan.MaxValue;
var counter = 0;
async Task Worker(int worker)
{
    var random = new Random(worker * 7919 + 1);
    while (clock.Elapsed < deadline && clock.Elapsed < stopAt)
    {
        var live = Enumerable.Range(0, urls.Length).Where(i => !down.ContainsKey(i)).ToArray();
        if (live.Length == 0)
        {
            await Task.Delay(50);
            continue;
        }

        var node = live[random.Next(live.Length)];
        string? id = null;
        bool create;
        if (recheck.TryPeek(out var again) && again.NotBefore <= clock.Elapsed && recheck.TryDequeue(out again))
        {
            create = false;
            id = again.Id;
        }
        else
        {
            lock (readableLock)
            {
                create = readable.Count < 200 || random.Next(2) == 0;
                if (!create)
                {
                    id = readable[random.Next(readable.Count)];
                }
            }
        }
        var started = clock.Elapsed;
        var status = 0;
        try
        {
            HttpResponseMessage response;
            if (create)
            {
                var n = Interlocked.Increment(ref counter);
                var body = $$"""{"amount":10000,"currency":"USD","customer":"c{{n % 50}}","order_id":"fo-{{Guid.NewGuid():N}}","items":[{"name":"Plan","quantity":2,"price":5000}]}""";
                response = await http.PostAsync(urls[node] + "/session", new StringContent(body, Encoding.UTF8, "application/json"));
            }
            else
            {
                response = await http.GetAsync(urls[node] + "/session/" + id);
            }
            using (response)
            {
                status = (int)response.StatusCode;
                var text = await response.Content.ReadAsStringAsync();
                if (create && status == 201)
                {
                    id = JsonDocument.Parse(text).RootElement.GetProperty("session_id").GetString();
                    created.Add(id!);
                    lock (readableLock)
                    {
                        readable.Add(id!);
                        if (readable.Count == 200)
                        {
                            deadline = duration == TimeSpan.MaxValue ? duration : clock.Elapsed + duration;
                            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warm {clock.Elapsed.TotalSeconds:F1}"));
                        }
                    }
                }
                if (status == 503 && !response.Headers.Contains("Retry-After"))
                {
                    status = 599; // 503 without Retry-After
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            status = 0;
            if (down.ContainsKey(node))
            {
                continue; // the node was taken out while this was in flight: not an answer
            }
        }
        if (!create && status is not (>= 200 and < 300))
        {
            recheck.Enqueue((id!, clock.Elapsed + TimeSpan.FromMilliseconds(100)));
        }

        var latency = (clock.Elapsed - started).TotalMilliseconds;
        events.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{started.TotalSeconds:F3} {latency:F1} {status} {(create ? "create" : "read")} {node} {id ?? "-"}"));
    }
}

await Task.WhenAll(Enumerable.Range(0, connections).Select(i => Task.Run(() => Worker(i))));

// Every acknowledged create must read back.
var unreadable = 0;
var reader = Enumerable.Range(0, urls.Length).First(i => !down.ContainsKey(i));
foreach (var chunk in created.Chunk(32))
{
    var results = await Task.WhenAll(chunk.Select(async id =>
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                using var r = await http.GetAsync(urls[reader] + "/session/" + id);
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }

                if (r.StatusCode == HttpStatusCode.NotFound)
                {
                    return false;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(500);
        }
        return false;
    }));
    unreadable += results.Count(ok => !ok);
}

await File.WriteAllLinesAsync(eventsPath, events);
Console.WriteLine($"acknowledged {created.Count} unreadable {unreadable}");
