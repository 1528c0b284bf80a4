namespace PaySessions.Grains.Sessions;

/// <summary>Ask a session to start a payment with one of its available methods.</summary>
[GenerateSerializer]
[Alias("PaySessions.InitiatePayment")]
public sealed record InitiatePayment(
    [property: Id(0)] string PaymentMethodId,
    [property: Id(1)] string? PayerIp);

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
}

[GenerateSerializer]
[Alias("PaySessions.InitiatePaymentResult")]
public sealed record InitiatePaymentResult(
    [property: Id(0)] InitiatePaymentOutcome Outcome,
    [property: Id(1)] string? RedirectUrl = null,
    [property: Id(2)] string? Message = null,
    [property: Id(3)] string? ErrorType = null);

/// <summary>What a provider's webhook said about one attempt, after its signature was checked.</summary>
[GenerateSerializer]
[Alias("PaySessions.ProviderPaymentReport")]
public sealed record ProviderPaymentReport(
    [property: Id(0)] string Provider,
    [property: Id(1)] string ProviderReference,
    [property: Id(2)] bool Succeeded,
    [property: Id(3)] string? ProviderPaymentId,
    [property: Id(4)] string? Reason);

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
}

/// <summary>The answer to a state change such as Cancel: done, or refused with a reason.</summary>
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

/// <summary>A payment method a customer can use for a session.</summary>
[GenerateSerializer]
[Alias("PaySessions.AvailablePaymentMethod")]
public sealed record AvailablePaymentMethod(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Provider,
    [property: Id(3)] PaymentMethodKind Kind);

public enum PaymentMethodKind
{
    /// <summary>The customer is sent to the provider's page.</summary>
    Redirect = 0,

    /// <summary>The payment form is embedded in the payment page.</summary>
    Embedded = 1,
}
