using System.Net;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>
/// <c>/health/ready</c> says whether this node can serve: it must go not-ready when its PostgreSQL
/// goes away, and ready again when it is back. The host runs on a PostgreSQL server of the test's
/// own, since stopping the run's shared server would break every test running beside this one.
/// </summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Ready_turns_503_while_its_PostgreSQL_is_stopped_and_live_stays_200()
    {
        await using var server = await TestDatabase.StartOwnServerAsync();
        await using var host = await TestHost.StartAsync(connectionString: server.ConnectionString);
        Assert.Equal(HttpStatusCode.OK, await Status(host, "/health/ready"));

        await server.StopAsync();
        var whileStopped = await Eventually.Read(() => Status(host, "/health/ready"), s => s != HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        var liveWhileStopped = await Status(host, "/health/live");
        await server.StartAgainAsync();
        var afterRestart = await Eventually.Read(() => Status(host, "/health/ready"), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, whileStopped);
        Assert.Equal(HttpStatusCode.OK, liveWhileStopped);
        Assert.Equal(HttpStatusCode.OK, afterRestart);
    }

    private static async Task<HttpStatusCode> Status(TestHost host, string path)
    {
        using var response = await host.Http.GetAsync(new Uri(path, UriKind.Relative));
        return response.StatusCode;
    }
}
