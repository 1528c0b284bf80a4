namespace PaySessions.Grains.Webhooks;

/// <summary>
/// The webhook event types a business of the Payviox dialect chooses from
/// (<c>merchants set-webhook-events</c>), and the default a new business gets. Payviox's own
/// names are used where its documentation has the event; the events it lacks keep this service's
/// names (<c>session.…</c>), the same string in the body's <c>type</c> and in the subscription.
/// </summary>
public static class PayvioxWebhookEvents
{
    /// <summary>Completed: the payment succeeded.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>Expired: the session ended unpaid.</summary>
    public const string Expired = "expired";

    /// <summary>An underpaid PaymentMismatch (same currency, less than asked): carries <c>amount_remaining</c>.</summary>
    public const string Incomplete = "incomplete";

    /// <summary>Payviox's refund event: a late payment given back by the business's policy (LatePaymentRefunded).</summary>
    public const string Refunded = "refunded";

    /// <summary>Payviox's fraud-review events: accepted as choices, never sent (no fraud review here).</summary>
    public const string PendingReview = "pending_review";

    public const string Declined = "declined";

    public const string Canceled = "session.canceled";
    public const string PaymentInitiated = "session.payment_initiated";
    public const string LatePayment = "session.late_payment";

    /// <summary>The refund of a late payment failed for good (LatePaymentRefundFailed): the session waits for an operator.</summary>
    public const string LatePaymentRefundFailed = "session.late_payment_refund_failed";

    /// <summary>A PaymentMismatch that is not an underpayment: overpaid, or paid in another currency.</summary>
    public const string PaymentMismatch = "session.payment_mismatch";

    /// <summary>Every name a business may choose, in the order listings show them.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        Succeeded, Expired, Incomplete, Refunded, PendingReview, Declined, Canceled, PaymentInitiated, LatePayment, PaymentMismatch,
        LatePaymentRefundFailed,
    ];

    /// <summary>The names this service sends today (the others are Payviox's, chosen ahead of facts this service does not record).</summary>
    public static IReadOnlyList<string> Sent { get; } =
        [Succeeded, Expired, Incomplete, Refunded, Canceled, PaymentInitiated, LatePayment, PaymentMismatch, LatePaymentRefundFailed];

    /// <summary>What a new business receives until it chooses: <c>succeeded</c> only, as Payviox does.</summary>
    public static IReadOnlyList<string> Default { get; } = [Succeeded];

    /// <summary>
    /// The choice as it is stored (each name once, in <see cref="All"/>'s order), or the one-line
    /// refusal: all or nothing, so one unknown name leaves the business's choice as it was.
    /// </summary>
    public static (IReadOnlyList<string>? Events, string? Error) Parse(IEnumerable<string> names)
    {
        var given = names.SelectMany(n => n.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        if (given.Count == 0)
        {
            return (null, $"Name at least one webhook event type: {string.Join(", ", All)}.");
        }

        if (given.FirstOrDefault(n => !All.Contains(n, StringComparer.Ordinal)) is { } unknown)
        {
            return (null, $"Unknown webhook event type '{unknown}': expected one of {string.Join(", ", All)}.");
        }

        return ([.. All.Where(n => given.Contains(n, StringComparer.Ordinal))], null);
    }
}
