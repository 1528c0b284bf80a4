using PaySessions.Grains.Merchants;

namespace PaySessions.Silo.Merchants;

/// <summary>The business Development seeds so the README's curl examples work at once (<c>PaySessions:DevMerchant</c>).</summary>
public sealed class DevMerchantOptions
{
    public const string Section = "PaySessions:DevMerchant";

    public string BusinessId { get; set; } = "merchant_dev";

    public string Name { get; set; } = "Dev Merchant";

    public string PublicKey { get; set; } = "pk_test_devmerchant000000000000";

    public string SecretKey { get; set; } = "sk_test_devmerchant000000000000";

    public List<string> PaymentMethods { get; set; } = ["sandbox_card", "sandbox_wallet"];

    /// <summary>Where the dev business's session webhooks go (none when empty).</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>The secret they are signed with; required with a URL.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>
    /// The webhook event types the dev business receives, re-applied at every Development start:
    /// every type this service sends, so the walk-through shows each one (a new business made with
    /// <c>merchants create</c> gets <c>succeeded</c> only).
    /// </summary>
    public List<string>? WebhookEvents { get; set; }

    /// <summary>The dev business's <c>x-callback-token</c> (Xendit-style webhooks); none when empty.</summary>
    public string? CallbackToken { get; set; }
}

/// <summary>
/// Registers the dev business and its fixed test keys once the silo is up (Development only).
/// Idempotent: every start finds them already there.
/// </summary>
public sealed class DevMerchantSeeder(IGrainFactory grains, Microsoft.Extensions.Options.IOptions<DevMerchantOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var dev = options.Value;
        var business = grains.GetGrain<IBusinessGrain>(dev.BusinessId);
        await business.Register(dev.Name);
        await business.ImportKey(dev.PublicKey);
        await business.ImportKey(dev.SecretKey);
        await business.EnablePaymentMethods(dev.PaymentMethods);
        var events = await business.SetWebhookEvents(dev.WebhookEvents is { Count: > 0 } chosen ? chosen : Grains.Webhooks.PayvioxWebhookEvents.Sent);
        if (!events.Accepted)
        {
            throw new InvalidOperationException($"PaySessions:DevMerchant:WebhookEvents was refused: {events.Error}");
        }

        if (!string.IsNullOrWhiteSpace(dev.CallbackToken))
        {
            var token = await business.ImportCallbackToken(dev.CallbackToken);
            if (!token.Accepted)
            {
                throw new InvalidOperationException($"PaySessions:DevMerchant:CallbackToken was refused: {token.Error}");
            }
        }
        if (!string.IsNullOrWhiteSpace(dev.WebhookUrl))
        {
            var webhook = await business.ImportWebhook(dev.WebhookUrl, dev.WebhookSecret ?? "");
            if (!webhook.Accepted)
            {
                throw new InvalidOperationException($"PaySessions:DevMerchant:WebhookUrl was refused: {webhook.Error}");
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
