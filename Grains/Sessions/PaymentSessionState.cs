using PaySessions.Grains.Sessions.Events;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// A session folded from its events. Apply never throws and never does I/O: the same rows must
/// always rebuild the same state, whatever the clock or the configuration says today.
/// </summary>
[GenerateSerializer]
[Alias("PaySessions.PaymentSessionState")]
public sealed class PaymentSessionState
{
    /// <summary>The facts the session was created with; null until Created.</summary>
    [Id(0)]
    public Created? Facts { get; private set; }

    [Id(1)]
    public SessionStatus Status { get; private set; }

    [Id(2)]
    public DateTimeOffset? ClosedAt { get; private set; }

    /// <summary>When the session expires: its creation deadline, then each attempt's pending window.</summary>
    [Id(3)]
    public DateTimeOffset ExpiresAt { get; private set; }

    [Id(4)]
    public List<PaymentAttempt> Attempts { get; private set; } = [];

    [Id(5)]
    public SessionPayment? Payment { get; private set; }

    [Id(6)]
    public List<LatePaymentReceived> LatePayments { get; private set; } = [];

    /// <summary>Successes whose figures differed from their attempt's: money held for review and refund.</summary>
    [Id(7)]
    public List<PaymentMismatch> Mismatches { get; private set; } = [];

    /// <summary>The completion itself, with what the provider reported about the payer and the payment; null until Completed.</summary>
    [Id(8)]
    public Completed? Completion { get; private set; }

    /// <summary>The refunds asked for late payments handled by refund, oldest first, with where each stands.</summary>
    [Id(60)]
    public List<LateRefund> Refunds { get; private set; } = [];

    public bool Exists => Facts is not null;

    public bool IsOpen => Exists && Status is SessionStatus.Created or SessionStatus.PaymentInitiated;

    /// <summary>Only an explicit live Created is live; rows from before modes were recorded are test.</summary>
    public bool IsLive => Facts?.Livemode == true;

    public bool IsDue(DateTimeOffset now) => IsOpen && now >= ExpiresAt;

    /// <summary>
    /// Money not yet given back that the session cannot keep: a late payment neither accepted nor
    /// refunded (its refund may be under way), or a payment in the wrong figures.
    /// </summary>
    public bool RefundRequired => Mismatches.Count > 0 || LatePayments.Exists(l => l.Handling != LatePaymentPolicy.Accept && RefundOf(l)?.Status != LateRefundStatus.Refunded);

    /// <summary>
    /// Money that waits for an operator: a late payment handled manual (or recorded before
    /// policies), a refund that failed, or a payment mismatch (never refunded automatically).
    /// </summary>
    public bool ManualReview =>
        Mismatches.Count > 0
        || LatePayments.Exists(l => l.Handling is null or LatePaymentPolicy.Manual)
        || Refunds.Exists(r => r.Status == LateRefundStatus.Failed);

    public LateRefund? RefundOf(LatePaymentReceived late) =>
        late.RefundId is { } id ? Refunds.Find(r => r.RefundId == id) : null;

    public PaymentAttempt? Attempt(string provider, string reference) =>
        Attempts.Find(a => a.Provider == provider && a.Reference == reference);

    public void Apply(PaymentSessionEvent @event)
    {
        switch (@event)
        {
            case Created e:
                Facts = e;
                Status = SessionStatus.Created;
                ExpiresAt = e.ExpiresAt;
                break;
            case PaymentInitiated e:
                Status = SessionStatus.PaymentInitiated;
                // Rows written before attempts carried their figures asked for the session's own.
                Attempts.Add(new PaymentAttempt(
                    e.Provider, e.ProviderReference, e.PaymentMethodId, AttemptState.Pending,
                    e.Amount ?? Facts?.Amount ?? 0, e.Currency ?? Facts?.Currency ?? "", e.RedirectUrl, e.PaymentRequestId)
                {
                    PayerIp = e.PayerIp,
                    PayerUserAgent = e.PayerUserAgent,
                });
                if (e.PendingUntil is { } until && until > ExpiresAt)
                {
                    ExpiresAt = until;
                }

                break;
            case PaymentFailed e:
                Mark(e.Provider, e.ProviderReference, AttemptState.Failed);
                break;
            case Completed e:
                var paid = e.ProviderReference is null ? Attempts.LastOrDefault() : Attempt(e.Provider, e.ProviderReference);
                Mark(e.Provider, e.ProviderReference, AttemptState.Succeeded);
                Completion = e;
                Payment = new SessionPayment(
                    e.Provider, e.ProviderPaymentId, paid?.PaymentMethodId, e.OccurredAt, e.PaymentId, paid?.PaymentRequestId, e.PaymentTokenId);
                Close(SessionStatus.Completed, e.OccurredAt);
                break;
            case Expired e:
                Close(SessionStatus.Expired, e.OccurredAt);
                break;
            case Canceled e:
                Close(SessionStatus.Canceled, e.OccurredAt);
                break;
            case LatePaymentReceived e:
                LatePayments.Add(e);
                if (e.Handling == LatePaymentPolicy.Refund && e.RefundId is { } refundId)
                {
                    Refunds.Add(new LateRefund(refundId, e.Provider, e.ProviderPaymentId, e.Amount, e.Currency, LateRefundStatus.Pending));
                }

                break;
            case LatePaymentAccepted e:
                // The session completes late, exactly as a Completed of the same payment would.
                Apply(new Completed
                {
                    EventId = e.EventId,
                    OccurredAt = e.OccurredAt,
                    Provider = e.Provider,
                    ProviderPaymentId = e.ProviderPaymentId,
                    ProviderReference = e.ProviderReference,
                    PaymentId = e.PaymentId,
                    Fees = e.Fees,
                    CustomerDetails = e.CustomerDetails,
                    PaymentDetails = e.PaymentDetails,
                });
                break;
            case LatePaymentRefunded e:
                SettleRefund(e.RefundId, r => r with { Status = LateRefundStatus.Refunded, ProviderRefundId = e.ProviderRefundId, SettledAt = e.OccurredAt });
                break;
            case LatePaymentRefundFailed e:
                SettleRefund(e.RefundId, r => r with { Status = LateRefundStatus.Failed, FailureReason = e.Reason, SettledAt = e.OccurredAt });
                break;
            case PaymentMismatch e:
                Mark(e.Provider, e.ProviderReference, AttemptState.Mismatched);
                Mismatches.Add(e);
                break;
        }
    }

    /// <summary>
    /// The read-only view of this state at <paramref name="version"/>: what reads answer, and what
    /// a merchant webhook describes (built from the state right after its event).
    /// </summary>
    public PaymentSessionSnapshot ToSnapshot(string sessionId, int version)
    {
        var facts = Facts ?? throw new InvalidOperationException($"Session {sessionId} does not exist.");
        return new PaymentSessionSnapshot
        {
            SessionId = sessionId,
            Version = version,
            Status = Status,
            BusinessId = facts.BusinessId,
            OrderId = facts.OrderId,
            Customer = facts.Customer,
            Amount = facts.Amount,
            Currency = facts.Currency,
            Items = facts.Items,
            Description = facts.Description,
            Metadata = facts.Metadata,
            ClientIp = facts.ClientIp,
            CreatedAt = facts.OccurredAt,
            ExpiresAt = ExpiresAt,
            ClosedAt = ClosedAt,
            Dialect = facts.Dialect,
            SessionType = facts.SessionType,
            PaymentMethodId = Attempts.LastOrDefault()?.PaymentMethodId,
            Payment = Payment,
            FailedAttempts = Attempts.Count(a => a.State == AttemptState.Failed),
            LastAttemptPending = Attempts.LastOrDefault()?.State == AttemptState.Pending,
            RefundRequired = RefundRequired,
            LatePayments = [.. LatePayments.Select(Late)],
            ManualReview = ManualReview,
            PaymentMismatches = [.. Mismatches.Select(m => new ReportedPayment(
                m.Provider, m.ProviderReference, m.ProviderPaymentId, m.Amount, m.Currency, m.ExpectedAmount, m.ExpectedCurrency, m.OccurredAt))],
            Livemode = IsLive,
            Xendit = facts.Xendit,
        };
    }

    // Late payments recorded before reports carried figures: what was asked is the attempt's.
    private ReportedPayment Late(LatePaymentReceived late)
    {
        var attempt = Attempt(late.Provider, late.ProviderReference);
        var refund = RefundOf(late);
        return new ReportedPayment(
            late.Provider, late.ProviderReference, late.ProviderPaymentId, late.Amount, late.Currency,
            late.ExpectedAmount ?? attempt?.Amount ?? Facts!.Amount,
            late.ExpectedCurrency ?? attempt?.Currency ?? Facts!.Currency,
            late.OccurredAt)
        {
            Handling = late.Handling,
            RefundId = refund?.RefundId,
            RefundStatus = refund?.Status,
            ProviderRefundId = refund?.ProviderRefundId,
            RefundFailureReason = refund?.FailureReason,
        };
    }

    public PaymentSessionState Copy()
    {
        var copy = (PaymentSessionState)MemberwiseClone();
        copy.Attempts = [.. Attempts];
        copy.LatePayments = [.. LatePayments];
        copy.Mismatches = [.. Mismatches];
        copy.Refunds = [.. Refunds];
        return copy;
    }

    // An outcome for a refund this state does not hold, or one already settled, changes nothing.
    private void SettleRefund(string refundId, Func<LateRefund, LateRefund> settle)
    {
        var index = Refunds.FindIndex(r => r.RefundId == refundId);
        if (index >= 0 && Refunds[index].Status == LateRefundStatus.Pending)
        {
            Refunds[index] = settle(Refunds[index]);
        }
    }

    private void Mark(string provider, string? reference, AttemptState state)
    {
        var index = Attempts.FindIndex(a => a.Provider == provider && a.Reference == reference);
        if (index >= 0)
        {
            Attempts[index] = Attempts[index] with { State = state };
        }
    }

    private void Close(SessionStatus status, DateTimeOffset at)
    {
        Status = status;
        ClosedAt = at;
    }
}

[GenerateSerializer]
[Alias("PaySessions.PaymentAttempt")]
public sealed record PaymentAttempt(
    [property: Id(0)] string Provider,
    [property: Id(1)] string Reference,
    [property: Id(2)] string PaymentMethodId,
    [property: Id(3)] AttemptState State,
    [property: Id(4)] long Amount,
    [property: Id(5)] string Currency,
    [property: Id(6)] string? RedirectUrl,
    [property: Id(7)] string? PaymentRequestId = null)
{
    /// <summary>The payer's address when this attempt started (see <c>PaymentInitiated.PayerIp</c>).</summary>
    [Id(8)]
    public string? PayerIp { get; init; }

    /// <summary>The payer's browser when this attempt started (see <c>PaymentInitiated.PayerUserAgent</c>).</summary>
    [Id(9)]
    public string? PayerUserAgent { get; init; }
}

/// <summary>The refund of one late payment: what is given back, to whom, and where it stands.</summary>
[GenerateSerializer]
[Alias("PaySessions.LateRefund")]
public sealed record LateRefund(
    [property: Id(60)] string RefundId,
    [property: Id(61)] string Provider,
    [property: Id(62)] string ProviderPaymentId,
    [property: Id(63)] long? Amount,
    [property: Id(64)] string? Currency,
    [property: Id(65)] LateRefundStatus Status)
{
    [Id(66)]
    public string? ProviderRefundId { get; init; }

    [Id(67)]
    public string? FailureReason { get; init; }

    [Id(68)]
    public DateTimeOffset? SettledAt { get; init; }
}

public enum AttemptState
{
    Pending = 0,
    Failed = 1,
    Succeeded = 2,

    /// <summary>The provider reported a success in other figures than asked: settled, not paid.</summary>
    Mismatched = 3,
}
