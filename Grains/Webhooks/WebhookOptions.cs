using Microsoft.Extensions.Options;

namespace PaySessions.Grains.Webhooks;

/// <summary>Merchant webhook delivery (<c>PaySessions:Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    public const string Section = "PaySessions:Webhooks";

    /// <summary>Payviox's documented waits: 30 s, 5 min and 30 min after the first, second and third failure.</summary>
    public static IReadOnlyList<TimeSpan> PayvioxRetryDelays { get; } = [TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30)];

    /// <summary>How often each silo looks for due deliveries.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The waits after the first failures, in order (<see cref="WebhookRetrySchedule"/>); none
    /// configured: <see cref="PayvioxRetryDelays"/>. After the last, the wait doubles up to
    /// <see cref="MaxRetryDelay"/>. A list with no initial items, so configuration replaces it
    /// rather than appending to defaults.
    /// </summary>
    public List<TimeSpan>? RetryDelays { get; set; }

    public IReadOnlyList<TimeSpan> EffectiveRetryDelays => RetryDelays is { Count: > 0 } delays ? delays : PayvioxRetryDelays;

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(12);

    /// <summary>After this long since the event, a delivery that never succeeded is marked failed.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromDays(3);

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The most deliveries one claim takes (one claim and one commit of their outcomes per batch).</summary>
    public int BatchSize { get; set; } = 50;

    /// <summary>
    /// The ceiling on expiry notices (the Expired event's webhooks) each silo's dispatcher sends a
    /// second, to all merchants together (<see cref="DeliveryPace"/>); 0: none. A mass expiry queues
    /// a notice per session in the minute they fall due; sent at this pace they leave the node's
    /// CPU, its connections and the database to the merchants' own requests (and do not flood a
    /// merchant's endpoint). Every other webhook (a payment's, a refund's, a cancel's) is unpaced and
    /// goes first (the lanes of <see cref="PostgresWebhookOutbox.ClaimDueAsync"/>), so no steady
    /// stream of them can fall behind this ceiling. At the default, 100,000 notices take a silo
    /// about 8 minutes 20 seconds.
    /// </summary>
    public int MaxExpiryNoticesPerSecond { get; set; } = 200;

    /// <summary>Requests each silo's dispatcher has out at once.</summary>
    public int MaxConcurrentDeliveries { get; set; } = 8;

    /// <summary>
    /// How far apart a bulk redelivery's deliveries become due: spread out, they interleave with
    /// the webhooks the dispatcher owes meanwhile (which it takes in order of due time) instead of
    /// all standing in front of them.
    /// </summary>
    public TimeSpan RedeliverySpacing { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Allows http:// and loopback or private addresses. Only Development turns it on: elsewhere a
    /// webhook URL must be https to a public address, so a merchant cannot aim us at our own network.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
}

/// <summary>Refuses a retry schedule that could not be kept: start-up stops with a sentence naming the key.</summary>
public sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var delays = options.EffectiveRetryDelays;
        for (var i = 0; i < delays.Count; i++)
        {
            if (delays[i] <= TimeSpan.Zero || (i > 0 && delays[i] < delays[i - 1]))
            {
                return ValidateOptionsResult.Fail(
                    $"{WebhookOptions.Section}:RetryDelays must be positive and never shorter than the one before ({WebhookOptions.Section}:RetryDelays:{i} is {delays[i]}).");
            }
        }

        if (options.BatchSize < 1 || options.MaxConcurrentDeliveries < 1 || options.MaxExpiryNoticesPerSecond < 0)
        {
            return ValidateOptionsResult.Fail(
                $"{WebhookOptions.Section}:BatchSize and {WebhookOptions.Section}:MaxConcurrentDeliveries must be at least 1, "
                + $"and {WebhookOptions.Section}:MaxExpiryNoticesPerSecond must not be negative (0: no ceiling).");
        }

        if (options.RedeliverySpacing < TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"{WebhookOptions.Section}:RedeliverySpacing must not be negative.");
        }

        return options.GiveUpAfter <= TimeSpan.Zero
            ? ValidateOptionsResult.Fail($"{WebhookOptions.Section}:GiveUpAfter must be positive.")
            : ValidateOptionsResult.Success;
    }
}
