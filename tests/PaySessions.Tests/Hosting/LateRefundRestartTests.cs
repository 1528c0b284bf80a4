using System.Net;
using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>
/// A refund is durable from the moment its late payment is recorded: one queued on a host whose
/// refund worker does not run is carried out by the next host on the same database, once.
/// </summary>
public sealed class LateRefundRestartTests
{
    [Fact]
    public async Task A_refund_queued_before_a_restart_is_made_once_by_the_new_host()
    {
        var identity = ClusterIdentity.New();
        await using var receiver = await WebhookReceiver.StartAsync();
        var business = TestSessions.NewBusiness();
        var id = TestSessions.NewId();
        string reference;

        // The first host records the late payment and its refund request, but its worker is off:
        // the request stays queued while the host runs and when it stops.
        await using (var first = await TestHost.StartAsync(identity, new Dictionary<string, string?>
        {
            ["PaySessions:LateRefunds:Enabled"] = "false",
            ["PaySessions:Webhooks:PollInterval"] = "01:00:00",
        }))
        {
            var merchant = first.Grains.GetGrain<IBusinessGrain>(business);
            await merchant.Register("Restart Refund Shop");
            await merchant.EnablePaymentMethods(["sandbox_card"]);
            await merchant.ReceiveWebhooks(receiver.Url, "refunded");
            var grain = first.Grains.GetGrain<IPaymentSessionGrain>(id);
            Assert.True((await grain.Create(TestSessions.Command(business))).IsCreated);
            var started = await first.Grains.InitiatePayment(id, new InitiatePayment("sandbox_card", null));
            Assert.Equal(InitiatePaymentOutcome.Initiated, started.Outcome);
            Assert.True((await grain.Cancel("restart test")).Succeeded);
            reference = Sandbox.ReferenceFrom(started.RedirectUrl!);
            Assert.Equal(HttpStatusCode.OK, (await first.Http.PostAsync(new Uri(started.RedirectUrl + "/approve"), null)).StatusCode);

            var snapshot = await grain.GetSnapshot();
            var late = Assert.Single(snapshot!.LatePayments);
            Assert.Equal((LatePaymentPolicy.Refund, LateRefundStatus.Pending), (late.Handling, late.RefundStatus));
        }

        Assert.Equal(("pending", 0), await RefundRow(identity, id));

        await using var second = await TestHost.StartAsync(identity, new Dictionary<string, string?>
        {
            ["PaySessions:LateRefunds:PollInterval"] = "00:00:00.100",
            ["PaySessions:Webhooks:PollInterval"] = "00:00:00.100",
        });
        var refunded = await Eventually.Read(
            async () => (await second.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot())!.LatePayments[0],
            l => l.RefundStatus == LateRefundStatus.Refunded,
            TimeSpan.FromSeconds(45));

        Assert.Equal(LateRefundStatus.Refunded, refunded.RefundStatus);
        var payment = await second.Grains.GetGrain<ISandboxPaymentGrain>(reference).GetPayment();
        var refund = Assert.Single(payment!.Refunds);
        Assert.Equal((refunded.RefundId, 1, refunded.ProviderRefundId), (refund.RefundId, refund.Requests, refund.SandboxRefundId));
        Assert.Equal(("refunded", 0), await RefundRow(identity, id));
        var delivery = Assert.Single(await receiver.WaitFor(d => d.Count > 0, TimeSpan.FromSeconds(30)));
        Assert.Contains("\"type\":\"refunded\"", delivery.Body, StringComparison.Ordinal);
    }

    private static async Task<(string Status, int Attempts)> RefundRow(ClusterIdentity identity, string sessionId)
    {
        await using var db = await TestDatabase.OpenAsync(identity.Database);
        await using var command = db.CreateCommand("SELECT status, attempts FROM late_refunds WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var row = (reader.GetString(0), reader.GetInt32(1));
        Assert.False(await reader.ReadAsync());
        return row;
    }
}
