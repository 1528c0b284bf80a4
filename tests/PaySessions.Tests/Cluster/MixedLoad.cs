using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Cluster;

/// <summary>
/// A merchant's mixed traffic through every running node of a <see cref="SiloCluster"/>, with a
/// client-side ledger of what was acknowledged (answered 2xx): Payviox-style sessions paid through
/// the sandbox's checkout or a provider webhook, canceled, left to expire or left pending until
/// they expire, or canceled and then paid late (the late payment is refunded); Xendit-style
/// sessions canceled or held open for later. A request that fails
/// (refused, timed out, 5xx) acknowledges nothing; 500s are kept apart, with the node and body.
/// </summary>
public sealed class MixedLoad(SiloCluster cluster, CreatedBusiness business)
{
    /// <summary>
    /// Node settings for the load: sessions expire after 20 s (pending ones too), the sweep looks
    /// every second, webhook retries come after half a second and a webhook attempt times out after
    /// 3 s, and every request comes from 127.0.0.1, so its per-IP limit is lifted.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> NodeSettings { get; } = new Dictionary<string, string?>(TestMerchants.FastRetries(), StringComparer.Ordinal)
    {
        ["PaySessions:Sessions:Expiry"] = "00:00:20",
        ["PaySessions:Sessions:PendingWindow"] = "00:00:20",
        ["PaySessions:Sessions:ExpirySweepPeriod"] = "00:00:02",
        ["PaySessions:Sessions:ExpirySweepInterval"] = "00:00:01",
        ["PaySessions:Webhooks:Timeout"] = "00:00:03",
        // A refund claimed by the node that is killed is taken by a survivor once its lease runs
        // out (2 min by default, past the checks' patience); refund ids make a second try safe.
        ["PaySessions:LateRefunds:Lease"] = "00:00:10",
        ["PaySessions:LateRefunds:RetryDelay"] = "00:00:01",
        ["PaySessions:LateRefunds:MaxRetryDelay"] = "00:00:05",
        ["PaySessions:RateLimits:PerIp:Limit"] = "1000000",
    };

    private const int Flows = 7;
    private readonly ConcurrentDictionary<string, LedgerEntry> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _serverErrors = new();
    private readonly ConcurrentDictionary<string, int> _answers = new(StringComparer.Ordinal);
    private int _flowsStarted;
    private int _flowsSucceeded;
    private int _xenditCreated;

    public IReadOnlyCollection<LedgerEntry> Sessions => [.. _sessions.Values];

    /// <summary>Every 500 answered, as "node method path: body" (the failover work turns them into 503 + Retry-After).</summary>
    public IReadOnlyCollection<string> ServerErrors => _serverErrors;

    public int FlowsSucceeded => Volatile.Read(ref _flowsSucceeded);

    /// <summary>How many answers of each kind (route and status, or the exception) the load got.</summary>
    public string Summary => string.Join(", ", _answers.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}: {a.Value}"));

    /// <summary>Runs <paramref name="workers"/> flows at a time until <paramref name="stop"/> is cancelled.</summary>
    public Task RunAsync(int workers, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var flow = Interlocked.Increment(ref _flowsStarted) % Flows;
                if (await RunFlow(flow))
                {
                    Interlocked.Increment(ref _flowsSucceeded);
                }
            }
        }, CancellationToken.None)));

    /// <summary>
    /// Runs the load with <paramref name="workers"/> flows at a time, and once <paramref name="flowsBefore"/>
    /// flows have succeeded, <paramref name="kill"/> (which SIGKILLs a node); then waits for
    /// <paramref name="flowsAfter"/> more (none: the load stops at once), and stops the load.
    /// Each stage is told to <paramref name="steps"/>.
    /// </summary>
    public async Task KillUnderLoadAsync(int workers, int flowsBefore, Func<Task> kill, int flowsAfter, Steps steps)
    {
        using var stop = new CancellationTokenSource();
        var running = RunAsync(workers, stop.Token);
        try
        {
            await WaitForSucceededFlows(flowsBefore);
            steps.Step($"flows +{flowsBefore}");
            await kill();
            steps.Step("killed");
            if (flowsAfter > 0)
            {
                await WaitForSucceededFlows(flowsAfter);
                steps.Step($"flows +{flowsAfter}");
            }
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }

        steps.Step($"Load: {Sessions.Count} sessions. Answers: {Summary}");
    }

    /// <summary>Waits until <paramref name="more"/> further flows have succeeded end to end (or 2 minutes have passed).</summary>
    public Task WaitForSucceededFlows(int more)
    {
        var target = FlowsSucceeded + more;
        return Eventually.Read(() => Task.FromResult(FlowsSucceeded), n => n >= target, TimeSpan.FromMinutes(2));
    }

    /// <summary>
    /// Pays every held (open, Xendit-style) session through the sandbox on the running nodes, retrying
    /// until each is acknowledged: sessions whose grains lived on a killed node must come back elsewhere.
    /// </summary>
    public async Task PayHeldSessions()
    {
        var held = _sessions.Values.Where(s => s.Held && !s.Canceled).ToList();
        await Task.WhenAll(held.Select(async session =>
        {
            var key = "held-" + session.Id;
            var redirect = await Eventually.Read(
                () => Pay(session.Id, key),
                r => r is not null,
                TimeSpan.FromMinutes(1),
                TimeSpan.FromMilliseconds(500));
            Assert.True(redirect is not null, $"Paying held session {session.Id} was never acknowledged. {Summary}\n{cluster.Describe()}");
            session.Paid = true;
            var approved = await Eventually.Read(
                () => Approve(Sandbox.ReferenceFrom(redirect)),
                ok => ok,
                TimeSpan.FromMinutes(1),
                TimeSpan.FromMilliseconds(500));
            Assert.True(approved, $"Approving held session {session.Id} was never acknowledged. {Summary}\n{cluster.Describe()}");
            session.Acknowledged = "completed";
        }));
    }

    /// <summary>
    /// Creates a session through <paramref name="node"/>, pays and approves it there, and puts it
    /// in the ledger as completed: proof that the node serves. Fails if any step is not acknowledged.
    /// </summary>
    public async Task<string> CompleteOneThrough(SiloProcess node)
    {
        var created = await Send(node, HttpMethod.Post, "/session", Bodies.SeedExample().ToJsonString());
        Assert.True(created?.StatusCode == HttpStatusCode.Created, $"Create through {node.Name}: {created?.StatusCode}\n{node.Output}");
        var id = (await Bodies.Json(created!))["session_id"]!.GetValue<string>();
        var session = _sessions.GetOrAdd(id, new LedgerEntry(id, "payviox"));
        var paid = await Send(node, HttpMethod.Post, $"/session/{id}/pay", """{"paymentMethodId":"sandbox_card"}""");
        Assert.True(paid?.StatusCode == HttpStatusCode.OK, $"Pay through {node.Name}: {paid?.StatusCode}\n{node.Output}");
        session.Paid = true;
        var reference = Sandbox.ReferenceFrom((await Bodies.Json(paid!))["redirect_url"]!.GetValue<string>());
        using var approve = new HttpRequestMessage(HttpMethod.Post, new Uri($"/sandbox/checkout/{reference}/approve", UriKind.Relative));
        var approved = await Answer(node, approve, $"/sandbox/checkout/{reference}/approve");
        Assert.True(approved?.StatusCode == HttpStatusCode.SeeOther, $"Approve through {node.Name}: {approved?.StatusCode}\n{node.Output}");
        session.Acknowledged = "completed";
        return id;
    }

    /// <summary>Sends a request as the business to <paramref name="node"/>; null when no answer came.</summary>
    public async Task<HttpResponseMessage?> Send(SiloProcess node, HttpMethod method, string path, string? json = null, bool basic = false, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = basic
            ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(business.SecretKey + ":")))
            : new AuthenticationHeaderValue("Bearer", business.SecretKey);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await Answer(node, request, path);
    }

    private async Task<HttpResponseMessage?> Answer(SiloProcess node, HttpRequestMessage request, string path)
    {
        var route = RouteOf(path);
        try
        {
            var response = await node.Http.SendAsync(request);
            Count($"{request.Method} {route} {(int)response.StatusCode}");
            if (response.StatusCode == HttpStatusCode.InternalServerError)
            {
                _serverErrors.Enqueue($"{node.Name} {request.Method} {path}: {await response.Content.ReadAsStringAsync()}");
            }

            return response;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Count($"{request.Method} {route} {e.GetType().Name}");
            return null;
        }
    }

    private async Task<bool> RunFlow(int flow)
    {
        if (flow == 5)
        {
            return await XenditFlow();
        }

        var id = await CreatePayviox();
        if (id is null)
        {
            return false;
        }

        var session = _sessions[id];
        switch (flow)
        {
            case 0 or 1 or 4:
                var redirect = await Pay(id, null);
                if (redirect is null)
                {
                    return false;
                }

                session.Paid = true;
                if (flow == 4)
                {
                    return true; // left pending: it expires when the pending window ends
                }

                session.Attempted.Add("completed");
                var reported = flow == 0
                    ? await Approve(Sandbox.ReferenceFrom(redirect))
                    : await ReportSuccess(Sandbox.ReferenceFrom(redirect));
                if (reported)
                {
                    session.Acknowledged = "completed";
                }

                return reported;
            case 2:
                session.Attempted.Add("canceled");
                if (Succeeded(await Send(Pick(), HttpMethod.Post, $"/session/{id}/cancel")))
                {
                    session.Acknowledged = "canceled";
                    return true;
                }

                return false;
            case 6:
                var payment = await Pay(id, null);
                if (payment is null)
                {
                    return false;
                }

                session.Paid = true;
                session.Attempted.Add("canceled");
                if (!Succeeded(await Send(Pick(), HttpMethod.Post, $"/session/{id}/cancel")))
                {
                    return false;
                }

                session.Acknowledged = "canceled";
                // The customer approves after all: a late payment, which the business's policy refunds.
                session.LatePaid = await Approve(Sandbox.ReferenceFrom(payment));
                return session.LatePaid;
            default:
                return true; // left alone: it expires
        }
    }

    private async Task<bool> XenditFlow()
    {
        var body = JsonNode.Parse(XenditSeedExamples.Pay)!.AsObject();
        body["reference_id"] = "order_" + Guid.NewGuid().ToString("N")[..20];
        body["customer"]!["reference_id"] = "cust_" + Guid.NewGuid().ToString("N");
        var created = await Send(Pick(), HttpMethod.Post, "/sessions", body.ToJsonString(), basic: true);
        if (created?.StatusCode != HttpStatusCode.Created)
        {
            return false;
        }

        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["payment_session_id"]!.GetValue<string>();
        var session = _sessions.GetOrAdd(id, new LedgerEntry(id, "xendit"));
        if (Interlocked.Increment(ref _xenditCreated) % 2 == 0)
        {
            session.Held = true;
            return true;
        }

        session.Attempted.Add("canceled");
        if (Succeeded(await Send(Pick(), HttpMethod.Post, $"/sessions/{id}/cancel", basic: true)))
        {
            session.Acknowledged = "canceled";
            session.Canceled = true;
            return true;
        }

        // Neither held nor surely canceled: read back as whatever it became.
        session.Canceled = true;
        return false;
    }

    private async Task<string?> CreatePayviox()
    {
        var response = await Send(Pick(), HttpMethod.Post, "/session", Bodies.SeedExample().ToJsonString());
        if (response?.StatusCode != HttpStatusCode.Created)
        {
            return null;
        }

        var id = (await Bodies.Json(response))["session_id"]!.GetValue<string>();
        _sessions.TryAdd(id, new LedgerEntry(id, "payviox"));
        return id;
    }

    private async Task<string?> Pay(string id, string? idempotencyKey)
    {
        var response = await Send(Pick(), HttpMethod.Post, $"/session/{id}/pay", """{"paymentMethodId":"sandbox_card"}""", idempotencyKey: idempotencyKey);
        return response?.StatusCode == HttpStatusCode.OK ? (await Bodies.Json(response))["redirect_url"]?.GetValue<string>() : null;
    }

    // The customer presses Approve on the sandbox's checkout (any node serves it): the sandbox
    // sends its signed webhook, and answers 303 once the service took it.
    private async Task<bool> Approve(string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/sandbox/checkout/{reference}/approve", UriKind.Relative));
        var response = await Answer(Pick(), request, $"/sandbox/checkout/{reference}/approve");
        return response?.StatusCode == HttpStatusCode.SeeOther;
    }

    // The provider reports the payment itself, signed, to any node.
    private async Task<bool> ReportSuccess(string reference)
    {
        var body = Sandbox.Body(reference, succeeded: true, paymentId: "pay_" + Guid.NewGuid().ToString("N")[..12]);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/webhooks/sandbox", UriKind.Relative)) { Content = new ByteArrayContent(body) };
        request.Headers.TryAddWithoutValidation("Webhook-Signature", Sandbox.Sign(body));
        return Succeeded(await Answer(Pick(), request, "/webhooks/sandbox"));
    }

    private static bool Succeeded(HttpResponseMessage? response) => response is { IsSuccessStatusCode: true };

    // A running node at random; with none running, the first (whose requests fail: nothing listens).
    private SiloProcess Pick()
    {
        var running = cluster.Running;
        return running.Count == 0 ? cluster.Nodes[0] : running[Random.Shared.Next(running.Count)];
    }

    private void Count(string answer) => _answers.AddOrUpdate(answer, 1, (_, n) => n + 1);

    // Ids and references (long segments) collapse, so answers are counted per route.
    private static string RouteOf(string path) =>
        string.Join('/', path.Split('/').Select(segment => segment.Length > 20 ? "{id}" : segment));
}

/// <summary>
/// What the client knows of one session: it was created (acknowledged), whether a payment was
/// acknowledged, the terminal status an acknowledged request promised, and the terminal statuses
/// of requests that got no answer (they may or may not have happened).
/// </summary>
public sealed class LedgerEntry(string id, string dialect)
{
    public string Id { get; } = id;

    public string Dialect { get; } = dialect;

    public bool Paid { get; set; }

    /// <summary>The status an acknowledged request decided (completed, canceled); null when none did.</summary>
    public string? Acknowledged { get; set; }

    public ConcurrentBag<string> Attempted { get; } = [];

    /// <summary>A Xendit-style session held open during the load, paid afterwards (<see cref="MixedLoad.PayHeldSessions"/>).</summary>
    public bool Held { get; set; }

    public bool Canceled { get; set; }

    /// <summary>Paid (acknowledged) after its acknowledged cancel: the late payment must be refunded.</summary>
    public bool LatePaid { get; set; }

    /// <summary>Whether <paramref name="status"/> (as stored) is what this session may have ended as.</summary>
    public bool Allows(string status) =>
        Acknowledged is { } promised ? status == promised
        : Held ? status == "created"
        : Dialect == "xendit" ? status is "created" || Attempted.Contains(status)
        : status == "expired" || Attempted.Contains(status);
}
