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

    public bool Exists => Facts is not null;

    public bool IsOpen => Exists && Status is SessionStatus.Created or SessionStatus.PaymentInitiated;

    public void Apply(PaymentSessionEvent @event)
    {
        switch (@event)
        {
            case Created e:
                Facts = e;
                Status = SessionStatus.Created;
                break;
            case PaymentInitiated:
                Status = SessionStatus.PaymentInitiated;
                break;
            case Completed e:
                Close(SessionStatus.Completed, e.OccurredAt);
                break;
            case Expired e:
                Close(SessionStatus.Expired, e.OccurredAt);
                break;
            case Canceled e:
                Close(SessionStatus.Canceled, e.OccurredAt);
                break;
        }
    }

    public PaymentSessionState Copy() => (PaymentSessionState)MemberwiseClone();

    private void Close(SessionStatus status, DateTimeOffset at)
    {
        Status = status;
        ClosedAt = at;
    }
}
