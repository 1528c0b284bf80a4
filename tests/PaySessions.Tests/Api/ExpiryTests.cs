using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>A host of its own whose sessions expire in seconds, swept every second (the read-expires-it and deadline cases run on a fake clock in Sessions/ExpiryClockTests).</summary>
public sealed class ExpiryTests : IAsyncLifetime
{
    private readonly ApiFixture _api = new();

    public Task InitializeAsync() => _api.InitializeWith(new Dictionary<string, string?>
    {
        // Long enough that a loaded machine still pays before the session expires.
        ["PaySessions:Sessions:Expiry"] = "00:00:05",
        ["PaySessions:Sessions:PendingWindow"] = "00:00:10",
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
    public async Task An_expired_session_sends_a_signed_expired_webhook_to_a_business_that_chose_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var keys = await _api.NewBusiness("Expiring Shop");
        var secret = await _api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).ReceiveWebhooks(receiver.Url, "succeeded", "expired");
        var body = Bodies.SeedExample();
        var id = await Create(keys.SecretKey, body);

        var deliveries = await receiver.WaitFor(d => d.Count > 0, TimeSpan.FromSeconds(30));

        var delivery = Assert.Single(deliveries);
        Assert.True(ReadmeWebhookScheme.Verify(secret, delivery.Signature, Encoding.UTF8.GetBytes(delivery.Body), DateTimeOffset.UtcNow));
        Assert.True(PayvioxWebhookScheme.Verify(secret, delivery.BodySignature, delivery.Body));
        var webhook = JsonNode.Parse(delivery.Body)!;
        Assert.Equal("expired", webhook["type"]!.GetValue<string>());
        Assert.Equal(2, webhook["sequence"]!.GetValue<int>());
        Assert.Equal(id, TestMerchants.SessionOf(webhook));
        Assert.Equal(body["order_id"]!.GetValue<string>(), webhook["order_id"]!.GetValue<string>());
        Assert.Null(webhook["provider"]);
        Assert.Equal("expired", await ProjectedStatus(id));
    }

    [Fact]
    public async Task The_sweep_expires_an_initiated_session_at_the_end_of_its_pending_window_not_before()
    {
        var id = await Create();
        var pay = await _api.Post($"/session/{id}/pay", ApiFixture.DevSecretKey, """{"paymentMethodId":"sandbox_card"}""");
        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);

        var status = await Eventually(() => ProjectedStatus(id), "expired", TimeSpan.FromSeconds(30));

        // Not a sleep and a guess: the log says when each thing happened.
        Assert.Equal("expired", status);
        var events = (await Bodies.Json(await _api.Get($"/session/{id}/events", ApiFixture.DevSecretKey)))["events"]!.AsArray();
        Assert.Equal(["Created", "PaymentInitiated", "Expired"], events.Select(e => e!["type"]!.GetValue<string>()));
        var initiated = events[1]!["time"]!.GetValue<DateTimeOffset>();
        var expired = events[2]!["time"]!.GetValue<DateTimeOffset>();
        Assert.True(expired >= initiated + TimeSpan.FromSeconds(10), $"initiated {initiated:O}, expired {expired:O}");
    }

    private async Task<string> Create(string key = ApiFixture.DevSecretKey, JsonObject? body = null)
    {
        var response = await _api.Post("/session", key, (body ?? Bodies.SeedExample()).ToJsonString());
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
