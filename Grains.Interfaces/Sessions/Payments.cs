namespace PaySessions.Grains.Sessions;

/// <summary>Ask a session to start a payment with one of its available methods.</summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.InitiatePayment")]
public sealed record InitiatePayment(
    [property: Id(0)] string PaymentMethodId,
    [property: Id(1)] string? PayerIp,
    [property: Id(8)] string? PayerUserAgent = null);

public enum InitiatePaymentOutcome
{
    /// <summary>PaymentInitiated was recorded; the customer goes to the redirect URL, if any.</summary>
    Initiated = 0,

    /// <summary>The provider refused or failed; nothing was recorded and the session stays usable.</summary>
    ProviderError = 1,

    /// <summary>The method is not enabled for the business or does not fit the session.</summary>
    MethodNotAvailable = 2,

    /// <summary>The session holds an end-user IP and the payer's differs.</summary>
    IpMismatch = 3,

    /// <summary>The session has ended (see the message).</summary>
    Closed = 4,

    NotFound = 5,

    /// <summary>
    /// Another initiation for this session is still waiting on its provider: one at a time per
    /// session, and nothing was started for this request.
    /// </summary>
    InProgress = 6,
}

[Immutable]
[GenerateSerializer]
[Alias("PaySessions.InitiatePaymentResult")]
public sealed record InitiatePaymentResult(
    [property: Id(0)] InitiatePaymentOutcome Outcome,
    [property: Id(1)] string? RedirectUrl = null,
    [property: Id(2)] string? Message = null,
    [property: Id(3)] string? ErrorType = null);

/// <summary>
/// The session's answer to "may a payment start now?": either <see cref="Answer"/> (refused, or
/// the same attempt is already recorded and pending, so no provider call is needed), or a
/// reservation: the attempt's number in the durable log, the lease that holds the session's one
/// initiation slot until <see cref="LeaseUntil"/>, and everything the provider is asked, including
/// the idempotency key derived from the attempt.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.AttemptReservation")]
public sealed record AttemptReservation(
    [property: Id(0)] InitiatePaymentResult? Answer,
    [property: Id(1)] Guid Lease = default,
    [property: Id(2)] DateTimeOffset LeaseUntil = default,
    [property: Id(3)] int Attempt = 0,
    [property: Id(4)] string PaymentMethodId = "",
    [property: Id(5)] string Provider = "",
    [property: Id(6)] long Amount = 0,
    [property: Id(7)] string Currency = "",
    [property: Id(8)] string? Description = null,
    [property: Id(9)] string AttemptKey = "",
    [property: Id(10)] SessionType SessionType = SessionType.Pay);

/// <summary>
/// The provider accepted the reserved attempt: its reference and where to send the customer, with
/// the payer's facts the initiation was asked with (recorded on PaymentInitiated).
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.StartedAttempt")]
public sealed record StartedAttempt(
    [property: Id(0)] Guid Lease,
    [property: Id(1)] int Attempt,
    [property: Id(2)] string PaymentMethodId,
    [property: Id(3)] string Provider,
    [property: Id(4)] string Reference,
    [property: Id(5)] string? RedirectUrl,
    [property: Id(8)] string? PayerIp = null,
    [property: Id(9)] string? PayerUserAgent = null);

/// <summary>
/// What a provider's webhook said about one attempt, after its signature was checked. A success
/// carries what was taken (<paramref name="Amount"/> in minor units of <paramref name="Currency"/>);
/// the session completes only when both equal what the attempt asked for. A success without them
/// is treated as a mismatch: unverified money never completes a session. A SAVE session moves no
/// money: it completes with the <paramref name="PaymentTokenId"/> the provider saved, and any money
/// reported for it is a mismatch. <paramref name="CustomerDetails"/> and <paramref name="PaymentDetails"/>
/// are what the provider said about the payer and the means of payment, already checked (a
/// malformed block arrives as null); a completion records them.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.ProviderPaymentReport")]
public sealed record ProviderPaymentReport(
    [property: Id(0)] string Provider,
    [property: Id(1)] string ProviderReference,
    [property: Id(2)] bool Succeeded,
    [property: Id(3)] string? ProviderPaymentId,
    [property: Id(4)] string? Reason,
    [property: Id(5)] long? Amount,
    [property: Id(6)] string? Currency,
    [property: Id(7)] string? PaymentTokenId = null,
    [property: Id(8)] ProviderCustomerDetails? CustomerDetails = null,
    [property: Id(9)] ProviderPaymentDetails? PaymentDetails = null);

public enum PaymentReportOutcome
{
    Completed = 0,
    FailureRecorded = 1,

    /// <summary>The same report was already recorded; nothing was appended.</summary>
    Duplicate = 2,

    /// <summary>Money arrived after the session ended: recorded and flagged for refund.</summary>
    LatePaymentRecorded = 3,

    /// <summary>No attempt of this session has that reference.</summary>
    UnknownReference = 4,

    /// <summary>A success in other figures than the attempt asked for: recorded, flagged for refund, not completed.</summary>
    MismatchRecorded = 5,

    /// <summary>A report that moved no money and changes nothing (a payment token saved after the session ended).</summary>
    Ignored = 6,
}

/// <summary>The answer to a state change such as Cancel: done, or refused with a reason.</summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.TransitionResult")]
public sealed record TransitionResult(
    [property: Id(0)] bool Succeeded,
    [property: Id(1)] string? Error,
    [property: Id(2)] PaymentSessionSnapshot? Session)
{
    public static TransitionResult Done(PaymentSessionSnapshot session) => new(true, null, session);

    public static TransitionResult Refused(string error, PaymentSessionSnapshot? session) => new(false, error, session);
}

/// <summary>
/// A payment method a customer can use for a session. <see cref="ChannelCode"/> is the name a
/// Xendit-style merchant uses for it (<c>CARDS</c>, <c>OVO</c>, <c>SANDBOX_CARD</c>, …) in
/// <c>allowed_payment_channels</c>; several methods may share one.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.AvailablePaymentMethod")]
public sealed record AvailablePaymentMethod(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Provider,
    [property: Id(3)] PaymentMethodKind Kind,
    [property: Id(4)] string ChannelCode = "");

public enum PaymentMethodKind
{
    /// <summary>The customer is sent to the provider's page.</summary>
    Redirect = 0,

    /// <summary>The payment form is embedded in the payment page.</summary>
    Embedded = 1,
}
