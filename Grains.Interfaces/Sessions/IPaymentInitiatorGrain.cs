namespace PaySessions.Grains.Sessions;

/// <summary>
/// Starts payments. The provider's call runs here, outside the session grain, so a slow or hanging
/// provider never holds the session: reads of it (and reports, cancels, expiry) go on meanwhile.
/// The session keeps the rules: it reserves the attempt (one initiation at a time per session),
/// then records what the provider answered.
/// </summary>
[Alias("PaySessions.IPaymentInitiatorGrain")]
public interface IPaymentInitiatorGrain : IGrainWithIntegerKey
{
    /// <summary>Reserve, call the provider, record: the whole initiation of one payment for <paramref name="sessionId"/>.</summary>
    [Alias("Initiate")]
    Task<InitiatePaymentResult> Initiate(string sessionId, InitiatePayment command);
}

public static class PaymentInitiation
{
    /// <summary>Starts a payment for a session (through the stateless initiator; any silo can take it).</summary>
    public static Task<InitiatePaymentResult> InitiatePayment(this IGrainFactory grains, string sessionId, InitiatePayment command) =>
        grains.GetGrain<IPaymentInitiatorGrain>(0).Initiate(sessionId, command);
}
