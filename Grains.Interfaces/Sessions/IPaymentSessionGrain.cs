namespace PaySessions.Grains.Sessions;

/// <summary>
/// One payment session, keyed by its session id (32 lowercase hex characters, or <c>ps-</c> and 24
/// for a Xendit-style session: see <see cref="SessionIds"/>). The grain is
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

    /// <summary>Cancels an open session; refused once it has ended.</summary>
    [Alias("Cancel")]
    Task<TransitionResult> Cancel(string? reason);

    /// <summary>
    /// First step of a payment initiation (see <see cref="IPaymentInitiatorGrain"/>, the only
    /// caller): checks the session, the payer's address and the method, and holds the session's
    /// one initiation slot under a lease. Never calls the provider, so it is quick.
    /// </summary>
    [Alias("ReserveAttempt")]
    Task<AttemptReservation> ReserveAttempt(InitiatePayment command);

    /// <summary>Last step: the provider accepted the reserved attempt; records PaymentInitiated and frees the slot.</summary>
    [Alias("RecordAttempt")]
    Task<InitiatePaymentResult> RecordAttempt(StartedAttempt started);

    /// <summary>The provider refused or failed: frees the slot (when the lease still holds it); records nothing.</summary>
    [Alias("ReleaseAttempt")]
    Task ReleaseAttempt(Guid lease);

    /// <summary>Records what a provider reported for one of this session's attempts.</summary>
    [Alias("ReportPayment")]
    Task<PaymentReportOutcome> ReportPayment(ProviderPaymentReport report);

    /// <summary>
    /// Records what the provider answered to the refund of one of this session's late payments
    /// (the refund worker is the caller): LatePaymentRefunded or LatePaymentRefundFailed, once.
    /// </summary>
    [Alias("RecordLateRefund")]
    Task<LateRefundRecordOutcome> RecordLateRefund(LateRefundReport report);

    /// <summary>Records Expired when the session's time is up; true when the session is (now) expired.</summary>
    [Alias("ExpireIfDue")]
    Task<bool> ExpireIfDue();

    /// <summary>The merchant webhooks this session caused, with every delivery attempt.</summary>
    [Alias("GetWebhookDeliveries")]
    Task<IReadOnlyList<WebhookDelivery>> GetWebhookDeliveries();

    /// <summary>The session's payment (status, payer, provider's details), or null when the session does not exist.</summary>
    [Alias("GetPaymentDetails")]
    Task<SessionPaymentDetails?> GetPaymentDetails();

    /// <summary>The methods the customer can pay this session with.</summary>
    [Alias("GetPaymentMethods")]
    Task<IReadOnlyList<AvailablePaymentMethod>> GetPaymentMethods();
}
