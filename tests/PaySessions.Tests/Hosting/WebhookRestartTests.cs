using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>Merchant webhooks are durable: one queued by a host that stops is sent by the next host on the same database.</summary>
public sealed class WebhookRestartTests
{
    [Fact]
    public async Task A_delivery_queued_before_a_restart_is_delivered_by_the_new_host()
    {
        var identity = ClusterIdentity.New();
        await using var receiver = await WebhookReceiver.StartAsync();
        var business = TestSessions.NewBusiness();
        var id = TestSessions.NewId();
        string secret;

        // The first host's dispatcher looks once, at start, then not for an hour: whatever the
        // session writes stays queued while that host runs and when it stops.
        await using (var first = await TestHost.StartAsync(identity, new Dictionary<string, string?> { ["PaySessions:Webhooks:PollInterval"] = "01:00:00" }))
        {
            var merchant = first.Grains.GetGrain<IBusinessGrain>(business);
            await merchant.Register("Restart Shop");
            secret = await merchant.ReceiveWebhooks(receiver.Url, "session.canceled");
            var grain = first.Grains.GetGrain<IPaymentSessionGrain>(id);
            Assert.True((await grain.Create(TestSessions.Command(business))).IsCreated);
            Assert.True((await grain.Cancel("restart test")).Succeeded);
        }

        Assert.Empty(receiver.Deliveries);
        Assert.Equal(("pending", 0), await DeliveryState(identity, id));

        await using var second = await TestHost.StartAsync(identity, new Dictionary<string, string?> { ["PaySessions:Webhooks:PollInterval"] = "00:00:00.100" });
        var deliveries = await receiver.WaitFor(d => d.Count > 0, TimeSpan.FromSeconds(30));

        var delivery = Assert.Single(deliveries);
        Assert.True(ReadmeWebhookScheme.Verify(secret, delivery.Signature, System.Text.Encoding.UTF8.GetBytes(delivery.Body), DateTimeOffset.UtcNow));
        Assert.Contains("\"type\":\"session.canceled\"", delivery.Body, StringComparison.Ordinal);
        Assert.Contains($"\"integration_session_id\":\"{id}\"", delivery.Body, StringComparison.Ordinal);
        Assert.Equal(("delivered", 1), await Eventually.Read(() => DeliveryState(identity, id), s => s.Status == "delivered", TimeSpan.FromSeconds(20)));
    }

    private static async Task<(string Status, int Attempts)> DeliveryState(ClusterIdentity identity, string sessionId)
    {
        await using var db = await TestDatabase.OpenAsync(identity.Database);
        await using var command = db.CreateCommand("SELECT status, attempts FROM webhook_deliveries WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.GetInt32(1));
    }
}
