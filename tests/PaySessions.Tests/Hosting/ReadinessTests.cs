using System.Net;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>
/// <c>/health/ready</c> says whether this node can serve: it must go not-ready when its PostgreSQL
/// goes away. The host runs on a PostgreSQL server of the test's own, since stopping the run's
/// shared server would break every test running beside this one.
/// </summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Ready_turns_503_when_its_PostgreSQL_stops_while_live_stays_200()
    {
        await using var server = await TestDatabase.StartOwnServerAsync();
        var host = await TestHost.StartAsync(connectionString: server.ConnectionString);
        try
        {
            Assert.Equal(HttpStatusCode.OK, await Status(host, "/health/ready"));

            await server.StopAsync();
            var ready = await Eventually(() => Status(host, "/health/ready"), s => s != HttpStatusCode.OK, TimeSpan.FromSeconds(30));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
            Assert.Equal(HttpStatusCode.OK, await Status(host, "/health/live"));
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    private static async Task<HttpStatusCode> Status(TestHost host, string path)
    {
        using var response = await host.Http.GetAsync(new Uri(path, UriKind.Relative));
        return response.StatusCode;
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(100);
        }
    }
}
