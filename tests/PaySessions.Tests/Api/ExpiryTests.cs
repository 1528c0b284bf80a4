using System.Net;
using Npgsql;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>A host of its own whose sessions expire in seconds, swept every second.</summary>
public sealed class ExpiryTests : IAsyncLifetime
{
    private readonly ApiFixture _api = new();

    public Task InitializeAsync() => _api.InitializeWith(new Dictionary<string, string?>
    {
        ["PaySessions:Sessions:Expiry"] = "00:00:02",
        ["PaySessions:Sessions:PendingWindow"] = "00:00:06",
        ["PaySessions:Sessions:ExpirySweepPeriod"] = "00:00:01",
    });

    public Task DisposeAsync() => _api.DisposeAsync();

    [Fact]
    public async Task An_untouched_session_is_expired_by_the_sweep()
    {
        var id = await Create();

        var status = await Eventually(() => ProjectedStatus(id), "expired", TimeSpan.FromSeconds(30));

        Assert.Equal("expired", status);
        var pay = await _api.Post($"/session/{id}/pay", ApiFixture.DevSecretKey, """{"paymentMethodId":"sandbox_card"}""");
        Assert.Equal(HttpStatusCode.Conflict, pay.StatusCode);
        Assert.Equal("""{"error":"Session is expired"}""", await pay.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_session_read_after_its_time_is_expired_at_once()
    {
        var id = await Create();
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        var session = await Bodies.Json(await _api.Get($"/session/{id}", ApiFixture.DevSecretKey));

        Assert.Equal("expired", session["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_initiated_payment_keeps_the_session_open_until_its_pending_window_ends()
    {
        var id = await Create();
        var pay = await _api.Post($"/session/{id}/pay", ApiFixture.DevSecretKey, """{"paymentMethodId":"sandbox_card"}""");
        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(3));
        var stillOpen = await Bodies.Json(await _api.Get($"/session/{id}", ApiFixture.DevSecretKey));
        var status = await Eventually(() => ProjectedStatus(id), "expired", TimeSpan.FromSeconds(30));

        Assert.Equal("payment_initiated", stillOpen["status"]!.GetValue<string>());
        Assert.Equal("expired", status);
    }

    private async Task<string> Create()
    {
        var response = await _api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }

    private async Task<string> ProjectedStatus(string id)
    {
        await using var db = NpgsqlDataSource.Create(_api.Host.ConnectionString);
        await using var command = db.CreateCommand("SELECT status FROM sessions WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<string> Eventually(Func<Task<string>> read, string wanted, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        string value;
        while ((value = await read()) != wanted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        return value;
    }
}
