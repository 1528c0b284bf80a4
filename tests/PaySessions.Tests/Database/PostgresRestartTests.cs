using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Silo.Operations;
using PaySessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PaySessions.Tests.Database;

/// <summary>
/// What a PostgreSQL failover looks like to the service: every connection breaks at once and the
/// transactions in flight are lost, then a server answers again at the same address. Here the
/// service's own server is restarted under a mixed load (creates, sandbox payments, provider
/// webhooks, cancels, merchant webhooks to a receiver): first cleanly (<c>pg_ctl restart -m fast</c>),
/// then by a crash (<c>-m immediate</c>) that stays down until the load has met it. Afterwards
/// nothing that was answered 2xx is missing, no answer was a 500, every session reads back as
/// its stream says (no grain kept a state its failed append left behind), the node is still in its
/// cluster and serving, its background loops (merchant webhooks, expiry sweep, late refunds) work
/// again, and the consistency check passes. The server is the test's own: restarting the run's
/// shared one would break every test beside it.
/// </summary>
public sealed class PostgresRestartTests(ITestOutputHelper output)
{
    private const int Workers = 4;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task PostgreSQL_restarted_and_crashed_under_load_loses_nothing_answered_and_the_service_recovers_by_itself()
    {
        await using var server = await TestDatabase.StartOwnServerAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var logs = new CapturedLogs();
        var settings = TestMerchants.FastRetries();
        settings["PaySessions:RateLimits:PerIp:Limit"] = "1000000";
        settings["PaySessions:Sessions:ExpirySweepInterval"] = "00:00:00.500";
        settings["PaySessions:LateRefunds:PollInterval"] = "00:00:00.200";
        settings["PaySessions:LateRefunds:RetryDelay"] = "00:00:00.500";
        await using var host = await TestHost.StartAsync(
            connectionString: server.ConnectionString,
            settings: settings,
            configure: builder => builder.Logging.AddProvider(logs));
        await host.Grains.GetGrain<IBusinessGrain>(ApiFixture.DevBusiness).ReceiveWebhooks(receiver.Url, "succeeded", "session.canceled");

        var load = new MixedLoad(host);
        var workers = Enumerable.Range(0, Workers).Select(i => Task.Run(() => load.RunAsync(i))).ToList();
        try
        {
            await load.WaitFor(() => load.Acknowledged("create") >= 10, "the load to start");

            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} pg_ctl restart -m fast");
            await server.RestartAsync(immediate: false);
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} restarted");
            var afterFast = load.Acknowledged("create");
            await load.WaitFor(() => load.Acknowledged("create") >= afterFast + 10, "creates after the clean restart");

            // A crash: every backend killed, every transaction in flight lost. The server stays
            // down until the load has met the outage (a request answered 503), then comes back.
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} pg_ctl stop -m immediate");
            var unavailableBefore = load.Unavailable;
            await server.StopAsync();
            await load.WaitFor(() => load.Unavailable > unavailableBefore, "a request to meet the outage");
            await server.StartAgainAsync();
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} started again");
            var afterCrash = load.Acknowledged("create");
            await load.WaitFor(() => load.Acknowledged("create") >= afterCrash + 10, "creates after the crash");
        }
        finally
        {
            load.Stop();
            await Task.WhenAll(workers);
        }

        output.WriteLine(load.Summary());
        foreach (var failed in load.Answers.Where(a => a.Status is < 200 or >= 300))
        {
            output.WriteLine(failed.ToString());
        }

        var answers = load.Answers;

        // No 500, no hang turned into a failure of the client: every answer is a success or a 503
        // with Retry-After in the route's own error shape.
        var wrong = answers.Where(a => !(a.Status is >= 200 and < 300 || a.IsServiceUnavailable)).ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Take(10).Select(a => a.ToString())) + "\n" + ErrorsIn(logs));

        // Every acknowledged write is in the streams.
        await using var database = NpgsqlDataSource.Create(server.ConnectionString);
        var streams = await Streams(database);
        foreach (var answer in answers.Where(a => a.Status is >= 200 and < 300 && a.Writes is not null))
        {
            Assert.True(
                streams.TryGetValue(answer.SessionId!, out var types) && types.Contains(answer.Writes!),
                $"{answer} was acknowledged, but the stream of {answer.SessionId} holds [{string.Join(", ", types ?? [])}]");
        }

        // The service came back by itself: a new session and its payment go through.
        var fresh = await Eventually.Read(() => load.CreateAsync(), a => a.Status == (int)HttpStatusCode.Created, Patience);
        Assert.Equal((int)HttpStatusCode.Created, fresh.Status);
        var freshPay = await load.PayAsync(fresh.SessionId!);
        Assert.Equal((int)HttpStatusCode.OK, freshPay.Status);

        // Every session reads back through its grain exactly as its stream says: a grain whose
        // append broke with the connection holds no state the database does not.
        streams = await Streams(database);
        foreach (var id in load.Sessions)
        {
            var session = await Bodies.Json(await load.Get($"/session/{id}"));
            var events = await Bodies.Json(await load.Get($"/session/{id}/events"));
            var stored = streams[id];
            Assert.Equal(stored, events["events"]!.AsArray().Select(e => e!["type"]!.GetValue<string>()).ToList());
            Assert.Equal(await ProjectedStatus(database, id), session["status"]!.GetValue<string>());
        }

        // The node never left its cluster, and its host is not shutting down.
        Assert.False(host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
        Assert.Equal(1L, await Scalar(database, "SELECT count(*) FROM orleans_membership WHERE deployment_id = $1 AND status = 3", host.Identity.ClusterId));

        // Merchant webhooks: every completion and cancel acknowledged is delivered; nothing stays queued.
        var notified = answers.Where(a => a.Status == 200 && a.Writes is "Completed" or "Canceled").Select(a => a.SessionId!).ToHashSet();
        await receiver.WaitFor(d => notified.IsSubsetOf(d.Select(x => TestMerchants.SessionOf(System.Text.Json.Nodes.JsonNode.Parse(x.Body)!))), Patience);
        Assert.Subset(receiver.Deliveries.Select(d => TestMerchants.SessionOf(System.Text.Json.Nodes.JsonNode.Parse(d.Body)!)).ToHashSet(), notified);
        Assert.Equal(0L, await Eventually.Read(() => Scalar(database, "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"), n => n == 0, Patience));

        // The expiry sweep runs again: a session due now is expired without anyone asking its grain.
        var expiring = await XenditTestSessions.CreateThroughGrain(host.Grains, ApiFixture.DevBusiness, SessionType.Pay, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal("expired", await Eventually.Read(() => ProjectedStatus(database, expiring), s => s == "expired", Patience));

        // The late-refund worker runs again: a payment that arrives after a cancel is refunded.
        // (The customer approves at the sandbox after the cancel; the sandbox's webhook is late.)
        var late = await load.CanceledWithPaymentAsync();
        Assert.Equal(HttpStatusCode.OK, (await host.Http.PostAsync(new Uri(late.RedirectUrl + "/approve"), null)).StatusCode);
        Assert.Equal(1L, await Eventually.Read(
            () => Scalar(database, "SELECT count(*) FROM late_refunds WHERE session_id = $1 AND status = 'refunded'", late.SessionId), n => n == 1, Patience));

        var report = await new ConsistencyCheck(database, host.Services.GetRequiredService<PaySessions.Grains.Sessions.Xendit.PaymentLinks>()).RunAsync();
        Assert.True(report.Consistent, string.Join("\n", report.Problems.Take(20)));
    }

    private static string ErrorsIn(CapturedLogs logs) =>
        string.Join('\n', logs.Text.Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal)).Take(20));

    private static async Task<Dictionary<string, List<string>>> Streams(NpgsqlDataSource database)
    {
        var streams = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using var command = database.CreateCommand("SELECT stream_id, type FROM session_events ORDER BY stream_id, version");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var id = reader.GetString(0);
            if (!streams.TryGetValue(id, out var types))
            {
                streams[id] = types = [];
            }

            types.Add(reader.GetString(1));
        }

        return streams;
    }

    private static async Task<string?> ProjectedStatus(NpgsqlDataSource database, string sessionId)
    {
        await using var command = database.CreateCommand("SELECT status FROM sessions WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
        return (string?)await command.ExecuteScalarAsync();
    }

    private static async Task<long> Scalar(NpgsqlDataSource database, string sql, params string[] parameters)
    {
        await using var command = database.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = parameter });
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Workers that each play sessions from start to end over HTTP with the dev merchant's secret
    /// key: create, then (mostly) pay with the sandbox, then a provider webhook that pays it, a
    /// cancel, or nothing. A step answered otherwise than 2xx ends that session's story.
    /// </summary>
    private sealed class MixedLoad(TestHost host)
    {
        private readonly ConcurrentQueue<Answer> _answers = new();
        private readonly ConcurrentQueue<string> _sessions = new();
        private volatile bool _stopped;

        public IReadOnlyList<Answer> Answers => [.. _answers];

        public IReadOnlyList<string> Sessions => [.. _sessions];

        public int Unavailable => _answers.Count(a => a.IsServiceUnavailable);

        public int Acknowledged(string kind) => _answers.Count(a => a.Kind == kind && a.Status is >= 200 and < 300);

        public void Stop() => _stopped = true;

        public async Task RunAsync(int worker)
        {
            for (var story = 0; !_stopped; story++)
            {
                var created = await CreateAsync();
                if (created.Status != (int)HttpStatusCode.Created)
                {
                    continue;
                }

                var id = created.SessionId!;
                if ((story + worker) % 5 == 4)
                {
                    continue;
                }

                var paid = await PayAsync(id);
                if (paid.Status != (int)HttpStatusCode.OK)
                {
                    continue;
                }

                if ((story + worker) % 2 == 0)
                {
                    var body = Sandbox.Body(Sandbox.ReferenceFrom(paid.RedirectUrl!), succeeded: true, paymentId: "pay_" + Guid.NewGuid().ToString("N")[..12]);
                    await Record("provider-webhook", id, "Completed", () => Sandbox.Deliver(host.Http, body, Sandbox.Sign(body)));
                }
                else
                {
                    await Record("cancel", id, "Canceled", () => Send(HttpMethod.Post, $"/session/{id}/cancel", ""));
                }
            }
        }

        public async Task<Answer> CreateAsync()
        {
            var answer = await Record("create", null, "Created", () => Send(HttpMethod.Post, "/session", Bodies.SeedExample().ToJsonString()));
            if (answer.SessionId is { } id)
            {
                _sessions.Enqueue(id);
            }

            return answer;
        }

        public Task<Answer> PayAsync(string id) =>
            Record("pay", id, "PaymentInitiated", () => Send(HttpMethod.Post, $"/session/{id}/pay", """{"paymentMethodId":"sandbox_card"}"""));

        /// <summary>A new session with a sandbox payment started, then canceled: a success reported now is late.</summary>
        public async Task<(string SessionId, string RedirectUrl)> CanceledWithPaymentAsync()
        {
            var created = await CreateAsync();
            Assert.Equal((int)HttpStatusCode.Created, created.Status);
            var paid = await PayAsync(created.SessionId!);
            Assert.Equal((int)HttpStatusCode.OK, paid.Status);
            var canceled = await Record("cancel", created.SessionId, "Canceled", () => Send(HttpMethod.Post, $"/session/{created.SessionId}/cancel", ""));
            Assert.Equal((int)HttpStatusCode.OK, canceled.Status);
            return (created.SessionId!, paid.RedirectUrl!);
        }

        public Task<HttpResponseMessage> Get(string path) => Send(HttpMethod.Get, path, null);

        public async Task WaitFor(Func<bool> condition, string what)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (!condition())
            {
                Assert.True(DateTime.UtcNow < deadline, $"Gave up waiting for {what}.\n{Summary()}");
                await Task.Delay(50);
            }
        }

        public string Summary() =>
            string.Join(", ", _answers.GroupBy(a => (a.Kind, a.Status)).OrderBy(g => g.Key).Select(g => $"{g.Key.Kind} {g.Key.Status}: {g.Count()}"));

        private async Task<Answer> Record(string kind, string? sessionId, string writes, Func<Task<HttpResponseMessage>> send)
        {
            Answer answer;
            var started = DateTime.UtcNow;
            try
            {
                using var response = await send();
                var body = await response.Content.ReadAsStringAsync();
                var retryAfter = response.Headers.TryGetValues("Retry-After", out var values) ? values.Single() : null;
                var status = (int)response.StatusCode;
                string? redirect = null;
                if (status is >= 200 and < 300 && kind == "create")
                {
                    sessionId = Bodies.ParseSessionId(body);
                }
                else if (status == 200 && kind == "pay")
                {
                    redirect = System.Text.Json.Nodes.JsonNode.Parse(body)!["redirect_url"]!.GetValue<string>();
                }

                answer = new Answer(kind, sessionId, status, retryAfter, body, writes, redirect, started, DateTime.UtcNow);
            }
            catch (HttpRequestException e)
            {
                // The service closed the connection without an answer: recorded as a failure of its own.
                answer = new Answer(kind, sessionId, 0, null, e.Message, writes, null, started, DateTime.UtcNow);
            }

            _answers.Enqueue(answer);
            return answer;
        }

        private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string? body)
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiFixture.DevSecretKey);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }

            return await host.Http.SendAsync(request);
        }
    }

    private sealed record Answer(string Kind, string? SessionId, int Status, string? RetryAfter, string Body, string? Writes, string? RedirectUrl, DateTime Sent, DateTime Answered)
    {
        // Payviox-style routes answer {"error": …}; the provider webhook route answers in the same shape.
        public bool IsServiceUnavailable =>
            Status == (int)HttpStatusCode.ServiceUnavailable
            && int.TryParse(RetryAfter, out var seconds) && seconds > 0
            && Body == """{"error":"Service unavailable"}""";

        public override string ToString() => $"{Sent:HH:mm:ss.fff}-{Answered:HH:mm:ss.fff} {Kind} {SessionId} → {Status} (Retry-After {RetryAfter}) {Body}";
    }
}
