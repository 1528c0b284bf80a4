namespace PaySessions.Grains.Sessions;

/// <summary>Session rules an operator may tune (<c>PaySessions:Sessions</c>).</summary>
public sealed class PaymentSessionOptions
{
    public const string Section = "PaySessions:Sessions";

    /// <summary>How long a session with no payment initiated stays open.</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromHours(24);
}
