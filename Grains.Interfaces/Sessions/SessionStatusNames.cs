namespace PaySessions.Grains.Sessions;

/// <summary>The lowercase status words stored in the projection and shown by the APIs.</summary>
public static class SessionStatusNames
{
    public static string ToName(this SessionStatus status) => status switch
    {
        SessionStatus.Created => "created",
        SessionStatus.PaymentInitiated => "payment_initiated",
        SessionStatus.Completed => "completed",
        SessionStatus.Expired => "expired",
        SessionStatus.Canceled => "canceled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };
}
