using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Npgsql;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Database;

/// <summary>
/// A PostgreSQL primary with a streaming replica is named to the service as a list of hosts with
/// <c>Target Session Attributes=primary</c> (Npgsql's multi-host connection strings): every
/// connection, the event store's and Orleans' own (clustering, reminders, grain storage), goes to
/// whichever host is the primary now. Here the first host named is down, as the old primary is
/// after a failover, and the service starts and writes through the second.
/// </summary>
public sealed class MultiHostConnectionTests
{
    [Fact]
    public async Task A_connection_string_naming_a_dead_host_first_and_the_primary_second_serves_every_request()
    {
        var identity = ClusterIdentity.New();
        var live = new NpgsqlConnectionStringBuilder(await TestDatabase.CreateAsync(identity.Database));
        var both = new NpgsqlConnectionStringBuilder(live.ConnectionString)
        {
            Host = $"127.0.0.1:{Loopback.FreePort()},{live.Host}:{live.Port}",
            TargetSessionAttributes = "primary",
        };

        await using var host = await TestHost.StartAsync(identity, connectionString: both.ConnectionString);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/session", UriKind.Relative))
        {
            Content = new StringContent(Bodies.SeedExample().ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiFixture.DevSecretKey);
        using var created = await host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = Bodies.ParseSessionId(await created.Content.ReadAsStringAsync());
        await using var database = NpgsqlDataSource.Create(live.ConnectionString);
        await using var command = database.CreateCommand("SELECT count(*) FROM session_events WHERE stream_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        Assert.Equal(1L, await command.ExecuteScalarAsync());
        await using var members = database.CreateCommand("SELECT count(*) FROM orleans_membership WHERE deployment_id = $1 AND status = 3");
        members.Parameters.Add(new NpgsqlParameter<string> { TypedValue = identity.ClusterId });
        Assert.Equal(1L, await members.ExecuteScalarAsync());
    }
}
