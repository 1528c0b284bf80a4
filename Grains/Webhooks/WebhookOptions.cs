namespace PaySessions.Grains.Webhooks;

/// <summary>Merchant webhook delivery (<c>PaySessions:Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    public const string Section = "PaySessions:Webhooks";

    /// <summary>How often each silo looks for due deliveries.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The wait after the first failed attempt; it doubles each time, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(12);

    /// <summary>After this long since the event, a delivery that never succeeded is marked failed.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromDays(3);

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    public int BatchSize { get; set; } = 50;

    /// <summary>
    /// Allows http:// and loopback or private addresses. Only Development turns it on: elsewhere a
    /// webhook URL must be https to a public address, so a merchant cannot aim us at our own network.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
}
