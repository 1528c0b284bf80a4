using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using PaySessions.Silo.Development;
using PaySessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PaySessions.Tests.Api;

/// <summary>
/// PostgreSQL restarting under load: every answer is a success or a 503 with <c>Retry-After</c>
/// in the error shape, never a 500, and every session that was answered 201 is there afterwards.
/// The server is this test's own (the run's shared server serves every other test in parallel),
/// and so is the host on it.
/// </summary>
public sealed class TransientFailureTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Workers = 4;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"paysessions-tests-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
    private LocalPostgres _postgres = null!;
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _postgres = await LocalPostgres.StartAsync(_directory, NullLogger.Instance);
        _host = await TestHost.StartAsync(connectionString: _postgres.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _postgres.StopAsync(immediate: true);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is cleaned up by the next run (see TestDatabase).
        }
    }

    [Fact]
    public async Task Requests_while_PostgreSQL_restarts_answer_success_or_503_with_Retry_After_never_500()
    {
        var created = new ConcurrentBag<string>();
        var answers = new ConcurrentBag<Answer>();
        using var stop = new CancellationTokenSource();

        // Creators and readers apart, so that reads keep coming while a create waits for the database.
        async Task Create()
        {
            while (!stop.IsCancellationRequested)
            {
                var create = await Send(HttpMethod.Post, "/session", Bodies.SeedExample().ToJsonString());
                answers.Add(create);
                if (create.Status == HttpStatusCode.Created)
                {
                    created.Add(Bodies.ParseSessionId(create.Body));
                }
            }
        }

        async Task Read()
        {
            while (!stop.IsCancellationRequested)
            {
                if (!created.TryPeek(out var id))
                {
                    await Task.Delay(10);
                    continue;
                }

                answers.Add(await Send(HttpMethod.Get, "/session/" + id, null));
                answers.Add(await Send(HttpMethod.Get, $"/session/{id}/events", null));
                answers.Add(await Send(HttpMethod.Get, $"/session/{id}/webhooks", null));
                await Task.Delay(5); // a steady load, not a spin that starves the machine
            }
        }

        var load = Enumerable.Range(0, Workers).Select(i => Task.Run(i % 2 == 0 ? Create : Read)).ToList();
        try
        {
            await WaitFor(() => created.Count >= 5);
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} stopping PostgreSQL");

            // Down for as long as it takes the load to meet it (a session's webhook list is read
            // from the database each time), then up again.
            await PgCtl("stop", "-m", "fast");
            var failedBefore = answers.Count(a => (int)a.Status >= 500);
            await WaitFor(() => answers.Count(a => (int)a.Status >= 500) > failedBefore);
            var port = new Npgsql.NpgsqlConnectionStringBuilder(_postgres.ConnectionString).Port;
            await PgCtl("start", "-o", $"-p {port} -k {_postgres.DataDirectory} -c listen_addresses=127.0.0.1 -c max_connections=300");
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} started again after a 5xx");
            var afterFirst = created.Count;
            await WaitFor(() => created.Count >= afterFirst + 5);

            // And a crash-like restart in the middle of the load.
            await PgCtl("restart", "-m", "immediate");
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} restarted; {created.Count} created");
            var afterSecond = created.Count;
            await WaitFor(() => created.Count >= afterSecond + 5);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }

        output.WriteLine(string.Join(", ", answers.GroupBy(a => (int)a.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}")));
        var wrong = answers.Where(a => !((int)a.Status is >= 200 and < 300 || IsServiceUnavailable(a))).ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Take(10).Select(a => $"{a.Request} → {(int)a.Status} {a.RetryAfter} {a.Body}")));
        foreach (var id in created)
        {
            var read = await Send(HttpMethod.Get, "/session/" + id, null);
            Assert.Equal(HttpStatusCode.OK, read.Status);
        }
    }

    private sealed record Answer(string Request, HttpStatusCode Status, string? RetryAfter, string Body);

    private static bool IsServiceUnavailable(Answer answer) =>
        answer.Status == HttpStatusCode.ServiceUnavailable
        && answer.RetryAfter is { } retryAfter && int.TryParse(retryAfter, out var seconds) && seconds > 0
        && answer.Body == """{"error":"Service unavailable"}""";

    private async Task<Answer> Send(HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiFixture.DevSecretKey);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await _host.Http.SendAsync(request);
        var retryAfter = response.Headers.TryGetValues("Retry-After", out var values) ? values.Single() : null;
        return new Answer($"{method} {path}", response.StatusCode, retryAfter, await response.Content.ReadAsStringAsync());
    }

    // Bounded: the load stops itself when enough has happened, and fails the test if it never does.
    private static async Task WaitFor(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    // With -l the restarted server writes to its log file, not to pg_ctl's output pipes (which it
    // would otherwise inherit and hold open for as long as it runs).
    private async Task PgCtl(params string[] arguments)
    {
        var pgCtl = Directory.GetDirectories("/usr/lib/postgresql")
            .Select(dir => Path.Combine(dir, "bin", "pg_ctl"))
            .Where(File.Exists)
            .OrderDescending()
            .First();
        var asPostgres = Environment.UserName == "root";
        var start = new ProcessStartInfo(asPostgres ? "runuser" : pgCtl) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (asPostgres ? new[] { "-u", "postgres", "--", pgCtl } : []).Concat(["-D", _postgres.DataDirectory, "-l", Path.Combine(_postgres.DataDirectory, "server.log"), "-w", "-t", "60"]).Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"pg_ctl {string.Join(' ', arguments)}: {await error} {await output}");
    }
}
