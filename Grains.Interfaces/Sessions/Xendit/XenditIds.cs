namespace PaySessions.Grains.Sessions.Xendit;

/// <summary>
/// The ids a Xendit-dialect session completes with, in the shapes that dialect's merchants store
/// (the seed's <c>pr-0800fe40-…</c> and <c>py-ac1fcd3e-…</c>): a prefix and a random (v4) UUID in
/// lower case. They are this service's own ids, issued once and recorded on the event; the
/// provider's ids for the same payment stay on the session beside them.
/// </summary>
public static class XenditIds
{
    public const string PaymentRequestPrefix = "pr-";
    public const string PaymentPrefix = "py-";

    /// <summary>A payment request: one attempt to pay a PAY session.</summary>
    public static string NewPaymentRequestId() => PaymentRequestPrefix + Guid.NewGuid().ToString("D");

    /// <summary>The payment that completed a PAY session.</summary>
    public static string NewPaymentId() => PaymentPrefix + Guid.NewGuid().ToString("D");
}
