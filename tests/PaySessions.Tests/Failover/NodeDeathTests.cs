using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Failover;

/// <summary>
/// A node of a two-node cluster SIGKILLed while requests flow through the other: nothing answers
/// 500 or goes unanswered; creates and sessions living on the survivor never fail; every failure is 503 with
/// <c>Retry-After</c> in the Payviox shape; the dead node's sessions come back on the survivor;
/// every create that was answered 201 reads back. Speed is the bench's (bench/failover), not this test's.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class NodeDeathTests
{
    internal static readonly Dictionary<string, string?> Limits = new()
    {
        ["PaySessions:RateLimits:PerIp:Limit"] = "1000000",
        ["PaySessions:RateLimits:PerCustomer:Limit"] = "1000000",
    };

    [Fact]
    public async Task Killing_a_node_under_load_fails_no_request_for_the_survivor_answers_only_503_with_Retry_After_and_its_sessions_come_back()
    {
        await using var survivor = await TestHost.StartAsync(settings: Limits);
        // The victim is a real process, so that it can die as a machine does (SIGKILL): its peers see
        // its sockets close and its probes go unanswered, and it writes nothing on its way out.
        await using var victim = SiloProcess.Start("victim", SiloPorts.Free(), survivor.ConnectionString, survivor.Identity, Limits);
        await victim.WaitReadyAsync();
        var management = survivor.Grains.GetGrain<IManagementGrain>(0);
        await Eventually.Read(async () => (await management.GetHosts(onlyActive: true)).Count, count => count == 2, TimeSpan.FromMinutes(1));

        using var http = Client();
        using var toVictim = Client();
        // Sessions created through each node; Orleans places each where it will, usually beside the call.
        var created = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            created.Add(await CreateOrThrow(http, survivor.BaseAddress));
            created.Add(await CreateOrThrow(toVictim, victim.BaseAddress));
        }

        var here = survivor.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var onSurvivor = new List<string>();
        var onVictim = new List<string>();
        foreach (var id in created)
        {
            var silo = await management.GetActivationAddress(survivor.Grains.GetGrain<IPaymentSessionGrain>(id));
            (silo == here ? onSurvivor : onVictim).Add(id);
        }

        Assert.NotEmpty(onSurvivor);
        Assert.NotEmpty(onVictim);

        var load = new Load(http, survivor.BaseAddress, onSurvivor, onVictim);
        var running = load.Run();
        await Eventually.Read(() => Task.FromResult(load.Answers.Count), n => n >= 60, TimeSpan.FromMinutes(1));

        victim.Kill();
        var killedAt = load.Answers.Count;

        // The dead node's sessions come back on the survivor.
        var back = await Eventually.Read(
            async () =>
            {
                var statuses = await Task.WhenAll(onVictim.Select(id => Status(http, survivor.BaseAddress, id)));
                return statuses.All(s => s == HttpStatusCode.OK);
            },
            done => done,
            TimeSpan.FromMinutes(2),
            TimeSpan.FromMilliseconds(200));
        await Eventually.Read(() => Task.FromResult(load.Answers.Count), n => n >= killedAt + 60, TimeSpan.FromMinutes(1));
        load.Stop();
        await running;

        Assert.True(back, "a session of the dead node did not come back on the survivor");
        var answers = load.Answers.ToList();
        Assert.Empty(answers.Where(a => a.Status is null).Select(a => a.Describe()));
        Assert.Empty(answers.Where(a => a.Kind == "survivor" && a.Status != HttpStatusCode.OK).Select(a => a.Describe()));
        Assert.Empty(answers.Where(a => a.Kind == "create" && a.Status != HttpStatusCode.Created).Select(a => a.Describe()));
        Assert.Empty(answers.Where(a => !a.IsSuccess && !a.IsUnavailableWithRetryAfter).Select(a => a.Describe()));

        // Every create answered 201 reads back, through the survivor.
        var acknowledged = answers.Where(a => a.Kind == "create" && a.Status == HttpStatusCode.Created).Select(a => a.SessionId!).ToList();
        Assert.NotEmpty(acknowledged);
        var unreadable = new List<string>();
        foreach (var id in acknowledged)
        {
            if (await Status(http, survivor.BaseAddress, id) != HttpStatusCode.OK)
            {
                unreadable.Add(id);
            }
        }

        Assert.Empty(unreadable);
    }

    internal static HttpClient Client()
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(100) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiFixture.DevSecretKey);
        return http;
    }

    internal static async Task<string> CreateOrThrow(HttpClient http, Uri node)
    {
        var answer = await Answer.Create(http, node);
        return answer.Status == HttpStatusCode.Created ? answer.SessionId! : throw new InvalidOperationException("A create before any failure was refused: " + answer.Describe());
    }

    internal static async Task<HttpStatusCode?> Status(HttpClient http, Uri node, string id) => (await Answer.Read(http, node, id, "check")).Status;

    /// <summary>Workers that read sessions of both kinds and create new ones, recording every answer, until stopped.</summary>
    internal sealed class Load(HttpClient http, Uri node, IReadOnlyList<string> onSurvivor, IReadOnlyList<string> onVictim)
    {
        private volatile bool _stopped;

        public ConcurrentQueue<Answer> Answers { get; } = new();

        /// <summary>Where the next requests go (a rolling restart moves them); the first node when not set.</summary>
        public Func<Uri>? Target { get; set; }

        public Task Run(int workers = 4) => Task.WhenAll(Enumerable.Range(0, workers).Select(async worker =>
        {
            for (var i = worker; !_stopped; i++)
            {
                var target = Target?.Invoke() ?? node;
                var answer = (i % 3) switch
                {
                    0 when onSurvivor.Count > 0 => await Answer.Read(http, target, onSurvivor[i % onSurvivor.Count], "survivor"),
                    1 when onVictim.Count > 0 => await Answer.Read(http, target, onVictim[i % onVictim.Count], "victim"),
                    _ => await Answer.Create(http, target),
                };
                Answers.Enqueue(answer);
            }
        }));

        public void Stop() => _stopped = true;
    }

    /// <summary>One answer (null status: none came, the connection failed).</summary>
    internal sealed record Answer(string Kind, Uri Node, HttpStatusCode? Status, bool RetryAfter, string Body, string? SessionId)
    {
        public bool IsSuccess => Status is { } s && (int)s is >= 200 and < 300;

        public bool IsUnavailableWithRetryAfter =>
            Status == HttpStatusCode.ServiceUnavailable && RetryAfter && Body == """{"error":"Service unavailable"}""";

        public string Describe() => $"{Kind} {SessionId} on {Node}: {(int?)Status} {(RetryAfter ? "with" : "without")} Retry-After {Body}";

        public static async Task<Answer> Create(HttpClient http, Uri node)
        {
            var body = $$"""{"amount":10000,"currency":"USD","customer":"failover_{{Guid.NewGuid():N}}","order_id":"fo-{{Guid.NewGuid():N}}","items":[{"name":"Plan","quantity":2,"price":5000}]}""";
            var answer = await Send(http, node, "create", null, new HttpRequestMessage(HttpMethod.Post, new Uri(node, "/session"))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            });
            return answer.Status == HttpStatusCode.Created
                ? answer with { SessionId = (string?)JsonNode.Parse(answer.Body)!["session_id"] }
                : answer;
        }

        public static Task<Answer> Read(HttpClient http, Uri node, string id, string kind) =>
            Send(http, node, kind, id, new HttpRequestMessage(HttpMethod.Get, new Uri(node, "/session/" + id)));

        private static async Task<Answer> Send(HttpClient http, Uri node, string kind, string? id, HttpRequestMessage request)
        {
            try
            {
                using var response = await http.SendAsync(request);
                return new Answer(kind, node, response.StatusCode, response.Headers.RetryAfter is not null, await response.Content.ReadAsStringAsync(), id);
            }
            catch (HttpRequestException e)
            {
                return new Answer(kind, node, null, false, e.Message, id);
            }
        }
    }
}
