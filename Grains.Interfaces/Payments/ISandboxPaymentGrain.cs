namespace PaySessions.Grains.Payments;

/// <summary>
/// One payment at the built-in sandbox provider, keyed by its reference. The sandbox plays a real
/// redirect provider: it keeps its own record of the payment, shows a checkout page, and reports
/// the customer's choice by a signed webhook over HTTP, like any provider would.
/// </summary>
[Alias("PaySessions.ISandboxPaymentGrain")]
public interface ISandboxPaymentGrain : IGrainWithStringKey
{
    [Alias("Open")]
    Task Open(SandboxPayment payment);

    /// <summary>The payment, or null for an unknown reference.</summary>
    [Alias("GetPayment")]
    Task<SandboxPayment?> GetPayment();

    /// <summary>Records Approve or Decline and sends the webhook; the same choice again resends it.</summary>
    [Alias("Decide")]
    Task<SandboxDecision> Decide(bool approve);

    /// <summary>
    /// Gives back (part of) an approved payment. Keyed by the caller's refund id: asking again
    /// with the same id answers the first refund and refunds nothing more (each ask is counted in
    /// <see cref="SandboxRefund.Requests"/>). Refused for a payment that is not approved, for
    /// another payment id, another currency, or more than is left to refund.
    /// </summary>
    [Alias("Refund")]
    Task<SandboxRefundResult> Refund(SandboxRefundRequest request);
}

[GenerateSerializer]
[Alias("PaySessions.SandboxRefundRequest")]
public sealed record SandboxRefundRequest(
    [property: Id(60)] string RefundId,
    [property: Id(61)] string PaymentId,
    [property: Id(62)] long Amount,
    [property: Id(63)] string Currency);

[GenerateSerializer]
[Alias("PaySessions.SandboxRefundResult")]
public sealed record SandboxRefundResult(
    [property: Id(60)] bool Refunded,
    [property: Id(61)] string? SandboxRefundId,
    [property: Id(62)] string? Error);

/// <summary>One refund the sandbox made, and how many times it was asked for it.</summary>
[GenerateSerializer]
[Alias("PaySessions.SandboxRefund")]
public sealed record SandboxRefund(
    [property: Id(60)] string RefundId,
    [property: Id(61)] string SandboxRefundId,
    [property: Id(62)] long Amount,
    [property: Id(63)] string Currency,
    [property: Id(64)] int Requests);

[GenerateSerializer]
[Alias("PaySessions.SandboxPayment")]
public sealed record SandboxPayment(
    [property: Id(0)] string Reference,
    [property: Id(1)] string SessionId,
    [property: Id(2)] long Amount,
    [property: Id(3)] string Currency,
    [property: Id(4)] string PaymentMethodId,
    [property: Id(5)] string? Description,
    [property: Id(6)] string Status = "pending",
    [property: Id(7)] string? PaymentId = null)
{
    /// <summary>A SAVE session's attempt: approving it saves the method (a token), and charges nothing.</summary>
    [Id(8)]
    public bool SavesPaymentMethod { get; init; }

    /// <summary>The token (<c>ptkn-</c> + a UUID) issued when a saving attempt was approved.</summary>
    [Id(9)]
    public string? PaymentTokenId { get; init; }

    /// <summary>
    /// The refunds made of this payment, in order (empty when none). An array, not an interface:
    /// this record is kept in grain storage, whose JSON names a value's runtime type, and a
    /// collection expression assigned to an interface is a compiler-made type that cannot be
    /// read back (Hosting/StoredStateRoundTripTests).
    /// </summary>
    [Id(60)]
    public SandboxRefund[] Refunds { get; init; } = [];
}

public enum SandboxDecision
{
    Approved = 0,
    Declined = 1,

    /// <summary>The other choice was already made; a payment is decided once.</summary>
    AlreadyDecided = 2,

    NotFound = 3,

    /// <summary>The choice is recorded but this service's webhook endpoint did not accept it yet.</summary>
    WebhookNotDelivered = 4,
}

/// <summary>Where providers' webhooks enter: one stateless worker per provider name.</summary>
[Alias("PaySessions.IProviderWebhookGrain")]
public interface IProviderWebhookGrain : IGrainWithStringKey
{
    /// <summary>Checks the signature, then hands the report to the session the reference belongs to.</summary>
    [Alias("Receive")]
    Task<ProviderWebhookOutcome> Receive(string? signature, byte[] body);
}

public enum ProviderWebhookOutcome
{
    /// <summary>Recorded, or already recorded (a duplicate delivery): either way the provider may stop.</summary>
    Accepted = 0,

    /// <summary>Missing, malformed, forged or stale signature: nothing changed.</summary>
    BadSignature = 1,

    /// <summary>Signed, but not a body this provider sends.</summary>
    Malformed = 2,

    /// <summary>No session has an attempt with that reference.</summary>
    UnknownReference = 3,

    UnknownProvider = 4,
}
