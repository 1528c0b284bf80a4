namespace PaySessions.Grains.Sessions;

/// <summary>
/// One payment session, keyed by its session id (32 lowercase hex characters). The grain is
/// the only writer of the session's event log and decides every transition.
/// </summary>
[Alias("PaySessions.IPaymentSessionGrain")]
public interface IPaymentSessionGrain : IGrainWithStringKey
{
    /// <summary>Records Created and answers only after it is durable.</summary>
    [Alias("Create")]
    Task<CreateSessionResult> Create(CreateSession command);

    /// <summary>The session as of its last confirmed event, or null when it does not exist.</summary>
    [Alias("GetSnapshot")]
    Task<PaymentSessionSnapshot?> GetSnapshot();

    /// <summary>The session's event log in order; empty when it does not exist.</summary>
    [Alias("GetEvents")]
    Task<IReadOnlyList<SessionEventRecord>> GetEvents();
}
