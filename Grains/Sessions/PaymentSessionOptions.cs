namespace PaySessions.Grains.Sessions;

/// <summary>Session rules an operator may tune (<c>PaySessions:Sessions</c>).</summary>
public sealed class PaymentSessionOptions
{
    public const string Section = "PaySessions:Sessions";

    /// <summary>How long a session with no payment initiated stays open.</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How often a due expiry is tried again when it could not be recorded (the database was
    /// down, say). Orleans refuses reminder periods under its minimum, which the silo lowers to this.
    /// </summary>
    public TimeSpan ExpiryRetryPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
