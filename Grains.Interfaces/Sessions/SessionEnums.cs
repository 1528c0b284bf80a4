namespace PaySessions.Grains.Sessions;

/// <summary>The merchant API a session was created through.</summary>
public enum SessionDialect
{
    Payviox = 0,
    Xendit = 1,
}

/// <summary>PAY collects money; SAVE (amount 0) completes with a saved payment token.</summary>
public enum SessionType
{
    Pay = 0,
    Save = 1,
}

/// <summary>Where a session is in its life. Completed, Expired and Canceled are final.</summary>
public enum SessionStatus
{
    Created = 0,
    PaymentInitiated = 1,
    Completed = 2,
    Expired = 3,
    Canceled = 4,
}
