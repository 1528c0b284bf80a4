using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Webhooks;

/// <summary>
/// Payviox-shaped merchant webhooks over real HTTP: the body of each event type, Payviox's
/// <c>Signature</c> header checked as its documentation says (in C#, and by <c>node</c>), and the
/// types a business chose: <c>succeeded</c> only for a new business, the rest recorded on the
/// session's webhook log as <c>unsubscribed</c> and never sent.
/// </summary>
public sealed class PayvioxWebhookTests : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private readonly ApiFixture _api = new();

    public Task InitializeAsync() => _api.InitializeWith(TestMerchants.FastRetries());

    public Task DisposeAsync() => _api.DisposeAsync();

    [Fact]
    public async Task A_new_business_receives_only_succeeded_and_every_other_event_is_recorded_as_unsubscribed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (keys, _) = await Merchant(receiver.Url);
        var paid = await Create(keys.SecretKey);
        await PayInFull(paid, keys.SecretKey);
        var canceled = await Create(keys.SecretKey);
        Assert.Equal(HttpStatusCode.OK, (await _api.Post($"/session/{canceled}/cancel", keys.SecretKey, "")).StatusCode);

        var paidLog = await WebhookLog(paid, keys.SecretKey, Settled(2));
        var canceledLog = await WebhookLog(canceled, keys.SecretKey, Settled(1));

        Assert.Equal([("session.payment_initiated", "unsubscribed"), ("succeeded", "delivered")], Statuses(paidLog));
        Assert.Equal([("session.canceled", "unsubscribed")], Statuses(canceledLog));
        Assert.Empty(paidLog[0]!["attempts"]!.AsArray());
        var delivery = Assert.Single(receiver.Deliveries);
        var body = JsonNode.Parse(delivery.Body)!;
        Assert.Equal("succeeded", body["type"]!.GetValue<string>());
        Assert.Equal(paid, TestMerchants.SessionOf(body));
    }

    [Fact]
    public async Task A_business_receives_exactly_the_types_it_chose_each_in_payvioxs_body()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (keys, secret) = await Merchant(receiver.Url, "incomplete", "session.canceled");
        var shortPaid = await Create(keys.SecretKey);
        var reference = await StartPayment(shortPaid, keys.SecretKey);
        var underpaid = Sandbox.Body(reference, succeeded: true, paymentId: "pay_under_1", amount: 2500, currency: "USD");
        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(_api.Host.Http, underpaid, Sandbox.Sign(underpaid))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _api.Post($"/session/{shortPaid}/cancel", keys.SecretKey, "")).StatusCode);
        var paid = await Create(keys.SecretKey);
        await PayInFull(paid, keys.SecretKey);

        var shortLog = await WebhookLog(shortPaid, keys.SecretKey, Settled(3));
        var paidLog = await WebhookLog(paid, keys.SecretKey, Settled(2));

        Assert.Equal(
            [("session.payment_initiated", "unsubscribed"), ("incomplete", "delivered"), ("session.canceled", "delivered")],
            Statuses(shortLog));
        Assert.Equal([("session.payment_initiated", "unsubscribed"), ("succeeded", "unsubscribed")], Statuses(paidLog));
        var bodies = receiver.Deliveries.Select(d => JsonNode.Parse(d.Body)!).OrderBy(b => b["sequence"]!.GetValue<int>()).ToList();
        Assert.Equal(["incomplete", "session.canceled"], bodies.Select(b => b["type"]!.GetValue<string>()));
        Assert.All(receiver.Deliveries, d => Assert.True(PayvioxWebhookScheme.Verify(secret, d.BodySignature, d.Body), d.BodySignature));

        var incomplete = bodies[0];
        Assert.Equal(shortPaid, TestMerchants.SessionOf(incomplete));
        Assert.Equal("usr_123", incomplete["metadata"]!["user_id"]!.GetValue<string>());
        Assert.Equal(10000, incomplete["amount"]!.GetValue<long>());
        Assert.Equal("USD", incomplete["currency"]!.GetValue<string>());
        Assert.Equal(7500, incomplete["amount_remaining"]!.GetValue<long>());
        Assert.Equal("sandbox", incomplete["provider"]!.GetValue<string>());
        Assert.Equal("sandbox_card", incomplete["payment_method"]!.GetValue<string>());
        Assert.Equal(2500, incomplete["payment"]!["amount"]!.GetValue<long>());
        Assert.True(incomplete["payment"]!["refund_required"]!.GetValue<bool>());
        var item = Assert.Single(incomplete["items"]!.AsArray())!;
        Assert.Equal(("Premium Plan", 1, 10000), (item["name"]!.GetValue<string>(), item["quantity"]!.GetValue<long>(), item["price"]!.GetValue<long>()));
        Assert.Null(bodies[1]["amount_remaining"]);
        Assert.False(bodies[1].AsObject().ContainsKey("customer"));
    }

    [Fact]
    public async Task A_succeeded_webhook_has_payvioxs_fields_and_its_signature_verifies_in_csharp_and_in_node()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (keys, secret) = await Merchant(receiver.Url);
        var body = Bodies.SeedExample();
        body["metadata"]!["note"] = "café ☕ \"quoted\" </script>";
        var id = await Create(keys.SecretKey, body);
        await PayInFull(id, keys.SecretKey);

        var delivery = Assert.Single(await receiver.WaitFor(d => d.Count > 0, Within));

        var webhook = JsonNode.Parse(delivery.Body)!.AsObject();
        Assert.Equal(
            ["amount", "currency", "fees", "metadata", "type", "provider", "order_id", "items", "payment_method", "sequence", "livemode"],
            webhook.Select(p => p.Key));
        Assert.Equal("succeeded", webhook["type"]!.GetValue<string>());
        Assert.Equal(id, TestMerchants.SessionOf(webhook));
        Assert.Equal("café ☕ \"quoted\" </script>", webhook["metadata"]!["note"]!.GetValue<string>());
        Assert.Equal(body["order_id"]!.GetValue<string>(), webhook["order_id"]!.GetValue<string>());
        Assert.Equal("sandbox", webhook["provider"]!.GetValue<string>());
        Assert.Equal(3, webhook["sequence"]!.GetValue<int>());
        Assert.False(webhook["livemode"]!.GetValue<bool>());

        // The header is lowercase hex of an HMAC-SHA256, and both our own headers are still there.
        Assert.Matches("^[0-9a-f]{64}$", delivery.BodySignature);
        Assert.True(PayvioxWebhookScheme.Verify(secret, delivery.BodySignature, delivery.Body));
        Assert.True(ReadmeWebhookScheme.Verify(secret, delivery.Signature, System.Text.Encoding.UTF8.GetBytes(delivery.Body), DateTimeOffset.UtcNow));
        Assert.Matches("^evt_[0-9a-f]{32}$", delivery.WebhookId);

        Assert.Equal("valid", await NodeVerifies(secret, delivery.Body, delivery.BodySignature!));
        Assert.Equal("invalid", await NodeVerifies(secret, delivery.Body + " ", delivery.BodySignature!));
        Assert.Equal("invalid", await NodeVerifies(secret + "x", delivery.Body, delivery.BodySignature!));
    }

    [Fact]
    public async Task Choosing_types_again_applies_from_the_next_delivery_and_leaves_settled_ones_as_they_were()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (keys, _) = await Merchant(receiver.Url);
        var business = _api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId);
        var first = await Create(keys.SecretKey);
        Assert.Equal(HttpStatusCode.OK, (await _api.Post($"/session/{first}/cancel", keys.SecretKey, "")).StatusCode);
        await WebhookLog(first, keys.SecretKey, Settled(1));

        Assert.True((await business.SetWebhookEvents(["succeeded,session.canceled"])).Accepted);
        var second = await Create(keys.SecretKey);
        Assert.Equal(HttpStatusCode.OK, (await _api.Post($"/session/{second}/cancel", keys.SecretKey, "")).StatusCode);

        Assert.Equal([("session.canceled", "delivered")], Statuses(await WebhookLog(second, keys.SecretKey, Settled(1))));
        Assert.Equal([("session.canceled", "unsubscribed")], Statuses(await WebhookLog(first, keys.SecretKey, Settled(1))));
        Assert.Equal(second, TestMerchants.SessionOf(JsonNode.Parse(Assert.Single(receiver.Deliveries).Body)!));
    }

    // The verifier a merchant would run, in Node.js (Webhooks/verify-signature.js), over the raw body.
    private static async Task<string> NodeVerifies(string token, string rawBody, string signature)
    {
        var bodyFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(bodyFile, System.Text.Encoding.UTF8.GetBytes(rawBody));
            var start = new ProcessStartInfo("node")
            {
                ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Webhooks", "verify-signature.js"), bodyFile, signature },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment = { ["PAYVIOX_WEBHOOK_TOKEN"] = token },
            };
            using var node = Process.Start(start)!;
            var output = await node.StandardOutput.ReadToEndAsync();
            var error = await node.StandardError.ReadToEndAsync();
            await node.WaitForExitAsync();
            Assert.True(node.ExitCode == 0, error);
            return output;
        }
        finally
        {
            File.Delete(bodyFile);
        }
    }

    private static Func<JsonArray, bool> Settled(int count) =>
        log => log.Count == count && log.All(w => w!["status"]!.GetValue<string>() is "delivered" or "unsubscribed" or "failed" or "skipped");

    private static List<(string Type, string Status)> Statuses(JsonArray log) =>
        [.. log.Select(w => (w!["type"]!.GetValue<string>(), w["status"]!.GetValue<string>()))];

    private async Task<JsonArray> WebhookLog(string id, string key, Func<JsonArray, bool> done) =>
        await Eventually.Read(
            async () => (await Bodies.Json(await _api.Get($"/session/{id}/webhooks", key)))["webhooks"]!.AsArray(), done, Within);

    private async Task<(IssuedKeys Keys, string Secret)> Merchant(string url, params string[] events)
    {
        var keys = await _api.NewBusiness("Payviox Shop");
        var business = _api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId);
        await business.EnablePaymentMethods(["sandbox_card"]);
        return (keys, await business.ReceiveWebhooks(url, events));
    }

    private async Task<string> Create(string key, JsonObject? body = null)
    {
        var response = await _api.Post("/session", key, (body ?? Bodies.SeedExample()).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }

    private async Task<string> StartPayment(string id, string key)
    {
        var pay = await Bodies.Json(await _api.Post($"/session/{id}/pay", key, """{"paymentMethodId":"sandbox_card"}"""));
        return Sandbox.ReferenceFrom(pay["redirect_url"]!.GetValue<string>());
    }

    private async Task PayInFull(string id, string key)
    {
        var reference = await StartPayment(id, key);
        var paid = Sandbox.Body(reference, succeeded: true, paymentId: "pay_full_" + id[..8]);
        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(_api.Host.Http, paid, Sandbox.Sign(paid))).StatusCode);
    }
}
