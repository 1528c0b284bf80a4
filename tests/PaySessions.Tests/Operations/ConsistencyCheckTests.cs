using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Silo.Operations;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Operations;

/// <summary>
/// <c>dotnet run --project Silo -- check</c> on a database a host has written every kind of
/// session into: consistent as written, and each kind of damage found and named.
/// </summary>
public sealed class ConsistencyCheckTests : IAsyncLifetime
{
    private TestHost _host = null!;
    private NpgsqlDataSource _database = null!;

    public async Task InitializeAsync()
    {
        _host = await TestHost.StartAsync(settings: TestMerchants.FastRetries());
        _database = NpgsqlDataSource.Create(_host.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_database_written_by_the_service_is_consistent_and_each_kind_of_damage_is_reported_with_its_session()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await _host.Grains.GetGrain<IBusinessGrain>(ApiFixture.DevBusiness).ReceiveWebhooks(receiver.Url, "succeeded", "session.canceled", "expired");
        var paid = await Create();
        var redirect = await Pay(paid);
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.PostAsync(new Uri(redirect + "/approve"), null)).StatusCode);
        var canceled = await Create();
        var canceledReference = Sandbox.ReferenceFrom(await Pay(canceled));
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, $"/session/{canceled}/cancel", "")).StatusCode);
        var late = Sandbox.Body(canceledReference, succeeded: true, paymentId: "pay_late_check");
        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(_host.Http, late, Sandbox.Sign(late))).StatusCode);
        var open = await Create();
        var expired = await XenditTestSessions.CreateThroughGrain(_host.Grains, ApiFixture.DevBusiness, SessionType.Pay, DateTimeOffset.UtcNow.AddSeconds(1));
        await Eventually.Read(() => Status(expired), s => s == "expired", TimeSpan.FromSeconds(60));

        var (code, output) = await Check();
        Assert.True(code == 0, output);
        Assert.Contains("Consistent", output, StringComparison.Ordinal);

        // Damage, one kind per session.
        await Execute("UPDATE sessions SET status = 'completed' WHERE session_id = $1", open);
        await Execute("DELETE FROM sessions WHERE session_id = $1", expired);
        await Execute("""
            INSERT INTO sessions (session_id, business_id, order_id, customer, status, amount, currency, created_at, expires_at, version)
            VALUES ('ffffffffffffffffffffffffffffffff', 'biz_ghost', 'order_ghost', 'c', 'created', 1, 'USD', now(), now(), 1)
            """);
        await Execute("DELETE FROM provider_references WHERE reference = $1", canceledReference);
        await Execute("DELETE FROM webhook_attempts WHERE event_id IN (SELECT event_id FROM webhook_deliveries WHERE session_id = $1)", paid);
        await Execute("DELETE FROM webhook_deliveries WHERE session_id = $1", paid);
        var gap = await Create();
        await Pay(gap);
        await Execute("DELETE FROM provider_references WHERE session_id = $1", gap);
        // The table refuses deletes (a trigger): damage of this kind needs an operator who disables it.
        await Execute("ALTER TABLE session_events DISABLE TRIGGER USER");
        await Execute("DELETE FROM session_events WHERE stream_id = $1 AND version = 1", gap);
        await Execute("ALTER TABLE session_events ENABLE TRIGGER USER");

        (code, output) = await Check();

        Assert.Equal(1, code);
        Assert.Contains($"projection.differs {open}: status: stream says created, row says completed", output, StringComparison.Ordinal);
        Assert.Contains($"projection.missing {expired}:", output, StringComparison.Ordinal);
        Assert.Contains("projection.orphan ffffffffffffffffffffffffffffffff:", output, StringComparison.Ordinal);
        Assert.Contains($"provider_reference.missing {canceled}: sandbox/{canceledReference}", output, StringComparison.Ordinal);
        Assert.Contains($"webhook_delivery.missing {paid}:", output, StringComparison.Ordinal);
        Assert.Contains($"stream.gap {gap}: version 2 follows version 0", output, StringComparison.Ordinal);
        Assert.DoesNotContain($" {canceled}: projection", output, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Output)> Check()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:PaySessions"] = _host.ConnectionString,
        }).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CheckCommand.RunAsync(configuration, new HostingEnvironment { EnvironmentName = Environments.Production }, output, error);
        return (code, output + error.ToString());
    }

    private async Task Execute(string sql, params object[] parameters)
    {
        await using var command = _database.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var changed = await command.ExecuteNonQueryAsync();
        Assert.True(changed != 0, sql);
    }

    private async Task<string?> Status(string id)
    {
        await using var command = _database.CreateCommand("SELECT status FROM sessions WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteScalarAsync() as string;
    }

    private async Task<string> Create()
    {
        var response = await Send(HttpMethod.Post, "/session", Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }

    private async Task<string> Pay(string id)
    {
        var response = await Send(HttpMethod.Post, $"/session/{id}/pay", """{"paymentMethodId":"sandbox_card"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Bodies.Json(response))["redirect_url"]!.GetValue<string>();
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiFixture.DevSecretKey);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        return await _host.Http.SendAsync(request);
    }
}
