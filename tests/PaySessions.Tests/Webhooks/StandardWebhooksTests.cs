using System.Net;
using System.Text.RegularExpressions;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace PaySessions.Tests.Webhooks;

/// <summary>
/// Every merchant webhook, in both dialects and on every retry, verifies with an off-the-shelf
/// Standard Webhooks library (the <c>StandardWebhooks</c> package) given the secret
/// <c>merchants set-webhook</c> prints for it; received on a loopback receiver from a host that
/// retries fast.
/// </summary>
public sealed partial class StandardWebhooksTests : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);
    private readonly ApiFixture _api = new();

    public Task InitializeAsync() => _api.InitializeWith(TestMerchants.FastRetries());

    public Task DisposeAsync() => _api.DisposeAsync();

    [Fact]
    public async Task A_payviox_webhook_and_its_retry_verify_with_a_standard_webhooks_library()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 1);
        var (keys, secrets) = await MerchantWithWebhook(receiver.Url);
        Assert.True((await _api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).SetWebhookEvents(["session.canceled"])).Accepted);
        var created = await _api.Post("/session", keys.SecretKey, Bodies.SeedExample().ToJsonString());
        var id = (await Bodies.Json(created))["session_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await _api.Post($"/session/{id}/cancel", keys.SecretKey, "")).StatusCode);

        var deliveries = await receiver.WaitFor(d => d.Any(x => x.AnsweredWith == 200), Within);

        AssertVerifiedRetries(deliveries, secrets);
    }

    [Fact]
    public async Task A_xendit_webhook_and_its_retry_verify_with_a_standard_webhooks_library()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 1);
        var (keys, secrets) = await MerchantWithWebhook(receiver.Url);
        Assert.True((await _api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).RotateCallbackToken()).Accepted);
        var id = await XenditTestSessions.Create(_api, keys.SecretKey, SessionType.Pay);
        var started = await _api.Host.Grains.InitiatePayment(id, new InitiatePayment("sandbox_card", null));
        var reference = Sandbox.ReferenceFrom(started.RedirectUrl!);
        var paid = Sandbox.Body(reference, succeeded: true, paymentId: "pay_std_1", amount: XenditTestSessions.PayAmount, currency: XenditTestSessions.PayCurrency);
        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(_api.Host.Http, paid, Sandbox.Sign(paid))).StatusCode);

        var deliveries = await receiver.WaitFor(d => d.Any(x => x.AnsweredWith == 200), Within);

        Assert.All(deliveries, d => Assert.NotNull(d.CallbackToken));
        AssertVerifiedRetries(deliveries, secrets);
    }

    private static void AssertVerifiedRetries(IReadOnlyList<WebhookReceiver.Delivery> deliveries, (string Plain, string Standard) secrets)
    {
        Assert.Equal([500, 200], deliveries.Select(d => d.AnsweredWith));
        var library = new StandardWebhook(secrets.Standard);
        foreach (var delivery in deliveries)
        {
            // Throws WebhookVerificationException when anything is off.
            library.Verify(delivery.Body, delivery.Headers!);
            Assert.Equal(delivery.WebhookId, delivery.Headers!["webhook-id"].ToString());
            Assert.Matches("^v1,[A-Za-z0-9+/]{43}=$", delivery.Headers["webhook-signature"].ToString());

            // A changed body, or the plain secret given where the library wants the whsec_ base64 form, fails.
            Assert.Throws<WebhookVerificationException>(() => library.Verify(delivery.Body + " ", delivery.Headers));
            Assert.ThrowsAny<Exception>(() => new StandardWebhook(secrets.Plain).Verify(delivery.Body, delivery.Headers));
        }

        // The id is the event's, the same on the retry; the timestamp is each attempt's own.
        Assert.Single(deliveries.Select(d => d.Headers!["webhook-id"].ToString()).Distinct());
        Assert.All(deliveries, d => Assert.Equal(
            ReadmeWebhookScheme.Timestamp(d.Signature).ToString(System.Globalization.CultureInfo.InvariantCulture),
            d.Headers!["webhook-timestamp"].ToString()));
    }

    /// <summary>A business whose webhook is set with the CLI, as an operator does: the two secrets it prints.</summary>
    private async Task<(IssuedKeys Keys, (string Plain, string Standard) Secrets)> MerchantWithWebhook(string url)
    {
        var keys = await _api.NewBusiness("Standard Shop");
        await _api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).EnablePaymentMethods(["sandbox_card"]);
        var (code, output) = await MerchantsCli.Run(_api.Host, "merchants", "set-webhook", "--business", keys.BusinessId, "--url", url);
        Assert.Equal(0, code);
        var plain = PlainSecret().Match(output);
        var standard = StandardSecret().Match(output);
        Assert.True(plain.Success && standard.Success, output);
        return (keys, (plain.Groups[1].Value, standard.Groups[1].Value));
    }

    [GeneratedRegex(@"^webhook_secret: (whsec_\S+)$", RegexOptions.Multiline)]
    private static partial Regex PlainSecret();

    [GeneratedRegex(@"^standard_webhooks_secret: (whsec_[A-Za-z0-9+/=]+)$", RegexOptions.Multiline)]
    private static partial Regex StandardSecret();
}
