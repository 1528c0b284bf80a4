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

    public bool Exists => Facts is not null;

    public bool IsOpen => Exists && Status is SessionStatus.Created or SessionStatus.PaymentInitiated;

    /// <summary>Only an explicit live Created is live; rows from before modes were recorded are test.</summary>
    public bool IsLive => Facts?.Livemode == true;

    public bool IsDue(DateTimeOffset now) => IsOpen && now >= ExpiresAt;

    /// <summary>Money an operator must give back: it came after the end, or in the wrong figures.</summary>
    public bool RefundRequired => LatePayments.Count > 0 || Mismatches.Count > 0;

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
        return new ReportedPayment(
            late.Provider, late.ProviderReference, late.ProviderPaymentId, late.Amount, late.Currency,
            late.ExpectedAmount ?? attempt?.Amount ?? Facts!.Amount,
            late.ExpectedCurrency ?? attempt?.Currency ?? Facts!.Currency,
            late.OccurredAt);
    }

    public PaymentSessionState Copy()
    {
        var copy = (PaymentSessionState)MemberwiseClone();
        copy.Attempts = [.. Attempts];
        copy.LatePayments = [.. LatePayments];
        copy.Mismatches = [.. Mismatches];
        return copy;
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

public enum AttemptState
{
    Pending = 0,
    Failed = 1,
    Succeeded = 2,

    /// <summary>The provider reported a success in other figures than asked: settled, not paid.</summary>
    Mismatched = 3,
}
