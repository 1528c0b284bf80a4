using System.Diagnostics.Metrics;

namespace PaySessions.Grains.Webhooks;

/// <summary>
/// Merchant-webhook deliveries as the dispatcher records them: meter <c>PaySessions.Webhooks</c>.
/// <list type="bullet">
/// <item><c>paysessions.webhook.deliveries</c>: claimed deliveries by <c>outcome</c>
/// (<c>delivered</c>; <c>pending</c>, failed and to be retried; <c>failed</c>, given up;
/// <c>skipped</c>, no endpoint; <c>unsubscribed</c>, a type the business did not choose).</item>
/// <item><c>paysessions.webhook.attempt.duration</c>: seconds each request that was sent took, by
/// <c>outcome</c>.</item>
/// <item><c>paysessions.webhook.delivery.lag</c>: seconds from the event to its successful
/// delivery, retries included.</item>
/// </list>
/// </summary>
public static class WebhookMetrics
{
    public const string MeterName = "PaySessions.Webhooks";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Deliveries = Meter.CreateCounter<long>(
        "paysessions.webhook.deliveries", "{delivery}", "Merchant-webhook deliveries claimed, by outcome.");

    private static readonly Histogram<double> AttemptDuration = Meter.CreateHistogram<double>(
        "paysessions.webhook.attempt.duration", "s", "How long each request to a merchant's endpoint took, by outcome.");

    private static readonly Histogram<double> DeliveryLag = Meter.CreateHistogram<double>(
        "paysessions.webhook.delivery.lag", "s", "From the event to its successful delivery, retries included.");

    /// <summary>Counts a batch once its outcomes are recorded.</summary>
    public static void Recorded(IEnumerable<WebhookOutcome> outcomes)
    {
        foreach (var outcome in outcomes)
        {
            var tag = new KeyValuePair<string, object?>("outcome", outcome.Status);
            Deliveries.Add(1, tag);
            if (outcome.Attempt is { } attempt && (attempt.StatusCode is not null || attempt.DurationMs > 0))
            {
                AttemptDuration.Record(attempt.DurationMs / 1000.0, tag);
            }

            if (outcome.Status == "delivered")
            {
                DeliveryLag.Record(Math.Max(0, (outcome.At - outcome.Delivery.CreatedAt).TotalSeconds));
            }
        }
    }
}
