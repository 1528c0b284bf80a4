using System.Text.Json.Nodes;
using PaySessions.Grains.Merchants;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// Merchant setup for tests: a whole business as the <c>merchants</c> commands set one up, and
/// webhooks for tests that wait for them. A new business receives only <c>succeeded</c>
/// (as on Payviox), so a test that waits for another type says so here, by name, as a merchant
/// would with <c>merchants set-webhook-events</c>; the rule itself is never relaxed for tests.
/// </summary>
public static class TestMerchants
{
    /// <summary>Points the business's webhooks at <paramref name="url"/> and chooses <paramref name="events"/> (none: the default); returns the secret.</summary>
    public static async Task<string> ReceiveWebhooks(this IBusinessGrain business, string url, params string[] events)
    {
        var configured = await business.ConfigureWebhook(url);
        Assert.True(configured.Accepted, configured.Error);
        if (events.Length > 0)
        {
            var chosen = await business.SetWebhookEvents(events);
            Assert.True(chosen.Accepted, chosen.Error);
        }

        return configured.Secret!;
    }

    /// <summary>
    /// A new business named <paramref name="name"/>, set up as the <c>merchants</c> commands do it:
    /// test keys, a callback token (Xendit-style webhooks carry it), its webhooks sent to
    /// <paramref name="webhookUrl"/> for <paramref name="webhookEvents"/>, and <paramref name="methods"/> enabled.
    /// </summary>
    public static async Task<CreatedBusiness> CreateBusinessAsync(
        this IGrainFactory grains, string name, string webhookUrl, IReadOnlyList<string> webhookEvents, IReadOnlyList<string> methods)
    {
        var businessId = TestSessions.NewBusiness();
        var business = grains.GetGrain<IBusinessGrain>(businessId);
        await business.Register(name);
        var keys = await business.IssueKeys(ApiKeyMode.Test);
        await business.RotateCallbackToken();
        var secret = await business.ReceiveWebhooks(webhookUrl, [.. webhookEvents]);
        var enabled = await business.EnableMethods(methods);
        Assert.True(enabled.Accepted, enabled.Error);
        return new CreatedBusiness(businessId, keys.SecretKey, secret);
    }

    /// <summary>The session a Payviox-shaped webhook body is about: Payviox carries it only in <c>metadata.integration_session_id</c>.</summary>
    public static string SessionOf(JsonNode body) => body["metadata"]!["integration_session_id"]!.GetValue<string>();

    /// <summary>Webhook settings for a host that retries after half a second instead of Payviox's 30 s, 5 min and 30 min.</summary>
    public static Dictionary<string, string?> FastRetries(TimeSpan? pollInterval = null) => new()
    {
        ["PaySessions:Webhooks:PollInterval"] = (pollInterval ?? TimeSpan.FromMilliseconds(100)).ToString(),
        ["PaySessions:Webhooks:RetryDelays:0"] = "00:00:00.500",
        ["PaySessions:Webhooks:RetryDelays:1"] = "00:00:00.500",
        ["PaySessions:Webhooks:RetryDelays:2"] = "00:00:00.500",
    };
}

/// <summary>A business of the test's own: its id, secret API key and webhook signing secret.</summary>
public sealed record CreatedBusiness(string BusinessId, string SecretKey, string WebhookSecret);
