using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>A host of its own that retries webhooks after a second instead of a minute.</summary>
public sealed class MerchantWebhookTests : IAsyncLifetime
{
    private readonly ApiFixture _api = new();

    public Task InitializeAsync() => _api.InitializeWith(TestMerchants.FastRetries());

    public Task DisposeAsync() => _api.DisposeAsync();

    [Fact]
    public async Task The_whole_loop_ends_with_signed_webhooks_at_the_merchant()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (keys, secret) = await MerchantWithWebhook(receiver.Url, "session.payment_initiated", "succeeded");
        var id = await Create(keys.SecretKey);
        var pay = await Bodies.Json(await _api.Post($"/session/{id}/pay", keys.SecretKey, """{"paymentMethodId":"sandbox_card"}"""));
        var approved = await _api.Host.Http.PostAsync(new Uri(pay["redirect_url"]!.GetValue<string>() + "/approve"), null);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);

        var deliveries = await receiver.WaitFor(d => d.Count >= 2, TimeSpan.FromSeconds(20));

        Assert.Equal(2, deliveries.Count);
        foreach (var delivery in deliveries)
        {
            // Checked the way the README tells a merchant to, not with the code that signed it.
            var body = Encoding.UTF8.GetBytes(delivery.Body);
            Assert.True(ReadmeWebhookScheme.Verify(secret, delivery.Signature, body, DateTimeOffset.UtcNow), delivery.Signature);

            // The timestamp is part of what is signed: the same v1 under another t is a forgery.
            var t = ReadmeWebhookScheme.Timestamp(delivery.Signature);
            Assert.False(ReadmeWebhookScheme.Verify(secret, ReadmeWebhookScheme.WithTimestamp(delivery.Signature, t + 1), body, DateTimeOffset.UtcNow));
            Assert.False(WebhookSignature.Verify(ReadmeWebhookScheme.WithTimestamp(delivery.Signature, t + 1), secret, body, DateTimeOffset.UtcNow));
            Assert.False(ReadmeWebhookScheme.Verify(secret, delivery.Signature, [.. body, (byte)' '], DateTimeOffset.UtcNow));

            // And Payviox's header, over the body alone, as its documentation tells a merchant to check it.
            Assert.True(PayvioxWebhookScheme.Verify(secret, delivery.BodySignature, delivery.Body), delivery.BodySignature);
            Assert.False(PayvioxWebhookScheme.Verify(secret, delivery.BodySignature, delivery.Body + " "));
        }

        var bodies = deliveries.Select(d => JsonNode.Parse(d.Body)!).OrderBy(b => b["sequence"]!.GetValue<int>()).ToList();
        Assert.Equal(["session.payment_initiated", "succeeded"], bodies.Select(b => b["type"]!.GetValue<string>()));
        Assert.Equal([2, 3], bodies.Select(b => b["sequence"]!.GetValue<int>()));
        Assert.All(deliveries, d => Assert.Matches("^evt_[0-9a-f]{32}$", d.WebhookId));
        var completed = bodies[1]!;
        Assert.Equal(id, TestMerchants.SessionOf(completed));
        Assert.Equal(10000, completed["amount"]!.GetValue<long>());
        Assert.Equal("premium", completed["metadata"]!["plan"]!.GetValue<string>());
        Assert.Equal("sandbox", completed["provider"]!.GetValue<string>());
        Assert.Equal("sandbox_card", completed["payment_method"]!.GetValue<string>());

        // The receiver answered; the dispatcher records that a moment later.
        var log = await WebhookLog(id, keys.SecretKey, webhooks => webhooks.Count == 2 && webhooks.All(w => w!["status"]!.GetValue<string>() == "delivered"));
        Assert.All(log, w => Assert.Equal("delivered", w!["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Mismatched_and_late_money_reach_the_merchant_signed_and_show_on_the_session()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (keys, secret) = await MerchantWithWebhook(
            receiver.Url, "session.payment_initiated", "session.payment_mismatch", "session.canceled", "session.late_payment");
        // Left for an operator, so nothing follows the late payment (the default policy would refund it).
        Assert.True((await _api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).SetLatePaymentPolicy(LatePaymentPolicy.Manual)).Accepted);
        var id = await Create(keys.SecretKey);
        var pay = await Bodies.Json(await _api.Post($"/session/{id}/pay", keys.SecretKey, """{"paymentMethodId":"sandbox_card"}"""));
        var reference = Sandbox.ReferenceFrom(pay["redirect_url"]!.GetValue<string>());

        var shortPaid = Sandbox.Body(reference, succeeded: true, paymentId: "pay_short_1", amount: 1, currency: "JPY");
        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(_api.Host.Http, shortPaid, Sandbox.Sign(shortPaid))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _api.Post($"/session/{id}/cancel", keys.SecretKey, "")).StatusCode);
        var latePaid = Sandbox.Body(reference, succeeded: true, paymentId: "pay_late_1");
        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(_api.Host.Http, latePaid, Sandbox.Sign(latePaid))).StatusCode);

        var deliveries = await receiver.WaitFor(d => d.Count >= 4, TimeSpan.FromSeconds(20));

        foreach (var delivery in deliveries)
        {
            Assert.True(SignedWith(secret, delivery), $"not signed with the merchant's secret: {delivery.Signature}");
        }

        var bodies = deliveries.Select(d => JsonNode.Parse(d.Body)!).OrderBy(b => b["sequence"]!.GetValue<int>()).ToList();
        Assert.Equal(
            ["session.payment_initiated", "session.payment_mismatch", "session.canceled", "session.late_payment"],
            bodies.Select(b => b["type"]!.GetValue<string>()));
        Assert.Equal([2, 3, 4, 5], bodies.Select(b => b["sequence"]!.GetValue<int>()));

        var mismatch = bodies[1];
        Assert.Equal(id, TestMerchants.SessionOf(mismatch));
        AssertRefund(mismatch["payment"]!, "mismatch", "pay_short_1", 1, "JPY");
        Assert.Equal(reference, mismatch["payment"]!["provider_reference"]!.GetValue<string>());

        var late = bodies[3];
        Assert.Equal(id, TestMerchants.SessionOf(late));
        AssertRefund(late["payment"]!, "late", "pay_late_1", 10000, "USD");

        var session = await Bodies.Json(await _api.Get($"/session/{id}", keys.SecretKey));
        Assert.True(session["refund_required"]!.GetValue<bool>());
        Assert.Equal("pay_short_1", Assert.Single(session["payment_mismatches"]!.AsArray())!["provider_payment_id"]!.GetValue<string>());
        Assert.Equal("pay_late_1", Assert.Single(session["late_payments"]!.AsArray())!["provider_payment_id"]!.GetValue<string>());
        var log = await WebhookLog(id, keys.SecretKey, webhooks => webhooks.Count == 4 && webhooks.All(w => w!["status"]!.GetValue<string>() == "delivered"));
        Assert.Equal(4, log.Count);
    }

    [Fact]
    public async Task A_receiver_failing_twice_then_succeeding_gets_the_same_event_id_each_time()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 2);
        var (keys, _) = await MerchantWithWebhook(receiver.Url, "session.canceled");
        var id = await Create(keys.SecretKey);

        Assert.Equal(HttpStatusCode.OK, (await _api.Post($"/session/{id}/cancel", keys.SecretKey, "")).StatusCode);
        var deliveries = await receiver.WaitFor(d => d.Any(x => x.AnsweredWith == 200), TimeSpan.FromSeconds(30));

        Assert.Equal([500, 500, 200], deliveries.Select(d => d.AnsweredWith));
        var ids = deliveries.Select(d => d.WebhookId).Distinct().ToList();
        Assert.Single(ids);
        Assert.Single(deliveries.Select(d => d.Body).Distinct());
        Assert.Single(deliveries.Select(d => d.BodySignature).Distinct());
        Assert.Equal("session.canceled", JsonNode.Parse(deliveries[0].Body)!["type"]!.GetValue<string>());

        var log = await WebhookLog(id, keys.SecretKey, webhooks => webhooks.Count == 1 && webhooks[0]!["status"]!.GetValue<string>() == "delivered");
        var webhook = Assert.Single(log)!;
        Assert.Equal(ids[0], webhook["id"]!.GetValue<string>());
        Assert.Equal("delivered", webhook["status"]!.GetValue<string>());
        Assert.Equal([500, 500, 200], webhook["attempts"]!.AsArray().Select(a => a!["status_code"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_business_without_a_webhook_url_has_its_deliveries_skipped()
    {
        var keys = await _api.NewBusiness();
        var id = await Create(keys.SecretKey);
        await _api.Post($"/session/{id}/cancel", keys.SecretKey, "");

        var log = await WebhookLog(id, keys.SecretKey, webhooks => webhooks.Count == 1 && webhooks[0]!["status"]!.GetValue<string>() == "skipped");

        Assert.Equal("skipped", Assert.Single(log)!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_webhook_secret_is_stored_encrypted()
    {
        var (keys, secret) = await MerchantWithWebhook("http://127.0.0.1:9/hooks");

        var stored = await StoredBusinessRow(keys.BusinessId);

        // The row is the business's: the URL is there in the clear, the secret in no encoding at all.
        Assert.Contains("http://127.0.0.1:9/hooks", Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
        StoredSecrets.AssertAbsent(stored, secret);
    }

    [Fact]
    public async Task Only_hashes_of_api_keys_are_stored()
    {
        var keys = await _api.NewBusiness("Key Shop");
        Assert.Equal(HttpStatusCode.Created, (await _api.Post("/session", keys.SecretKey, Bodies.SeedExample().ToJsonString())).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _api.Post("/session", keys.PublicKey, Bodies.SeedExample().ToJsonString())).StatusCode);

        // Every grain row of the deployment: the business, its key grains, anything else.
        var everything = await AllStoredGrainRows();

        Assert.Contains(ApiKeys.Hash(keys.SecretKey), Encoding.UTF8.GetString(await StoredBusinessRow(keys.BusinessId)), StringComparison.Ordinal);
        StoredSecrets.AssertAbsent(everything, keys.SecretKey);
        StoredSecrets.AssertAbsent(everything, keys.PublicKey);
    }

    private async Task<byte[]> StoredBusinessRow(string businessId)
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(_api.Host.ConnectionString);
        await using var command = db.CreateCommand(
            "SELECT payload_binary FROM orleans_storage WHERE grain_id_extension_string = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = businessId });
        return (byte[])(await command.ExecuteScalarAsync())!;
    }

    private async Task<byte[]> AllStoredGrainRows()
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(_api.Host.ConnectionString);
        await using var command = db.CreateCommand(
            "SELECT coalesce(payload_binary, ''::bytea) || convert_to(coalesce(grain_id_extension_string, ''), 'UTF8') FROM orleans_storage");
        await using var reader = await command.ExecuteReaderAsync();
        var all = new List<byte>();
        while (await reader.ReadAsync())
        {
            all.AddRange((byte[])reader[0]);
            all.Add(0);
        }

        Assert.NotEmpty(all);
        return [.. all];
    }

    private static void AssertRefund(JsonNode payment, string status, string paymentId, long amount, string currency)
    {
        Assert.Equal(status, payment["status"]!.GetValue<string>());
        Assert.Equal("sandbox", payment["provider"]!.GetValue<string>());
        Assert.Equal("sandbox_card", payment["payment_method_id"]!.GetValue<string>());
        Assert.Equal(paymentId, payment["provider_payment_id"]!.GetValue<string>());
        Assert.Equal(amount, payment["amount"]!.GetValue<long>());
        Assert.Equal(currency, payment["currency"]!.GetValue<string>());
        Assert.Equal(10000, payment["expected_amount"]!.GetValue<long>());
        Assert.Equal("USD", payment["expected_currency"]!.GetValue<string>());
        Assert.True(payment["refund_required"]!.GetValue<bool>());
    }

    // Checked from the documented scheme, not with the service's own code: t=<unix seconds>,
    // v1=<hex HMAC-SHA256(secret, "<t>.<body>")>.
    private static bool SignedWith(string secret, WebhookReceiver.Delivery delivery)
    {
        var parts = delivery.Signature.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var expected = System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(parts["t"] + "." + delivery.Body));
        return Convert.ToHexStringLower(expected) == parts["v1"];
    }

    private async Task<JsonArray> WebhookLog(string id, string key, Func<JsonArray, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var webhooks = (await Bodies.Json(await _api.Get($"/session/{id}/webhooks", key)))["webhooks"]!.AsArray();
            if (done(webhooks) || DateTime.UtcNow > deadline)
            {
                return webhooks;
            }

            await Task.Delay(100);
        }
    }

    private async Task<(IssuedKeys Keys, string Secret)> MerchantWithWebhook(string url, params string[] events)
    {
        var keys = await _api.NewBusiness("Webhook Shop");
        var business = _api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId);
        await business.EnablePaymentMethods(["sandbox_card"]);
        return (keys, await business.ReceiveWebhooks(url, events));
    }

    private async Task<string> Create(string key)
    {
        var response = await _api.Post("/session", key, Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }
}
