namespace PaySessions.Grains.Sessions;

/// <summary>Session rules an operator may tune (<c>PaySessions:Sessions</c>).</summary>
public sealed class PaymentSessionOptions
{
    public const string Section = "PaySessions:Sessions";

    /// <summary>How long a session with no payment initiated stays open.</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Once a payment is initiated, how long the session waits for the provider's answer.</summary>
    public TimeSpan PendingWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long one payment initiation may hold a session's initiation slot while its provider
    /// answers; the provider's call is cancelled when it runs out. Meanwhile a second initiation of
    /// the same session is refused (409). Longer than any provider's own time budget.
    /// </summary>
    public TimeSpan InitiationLease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often the expiry sweep looks for sessions whose time is up. A session is also expired
    /// the moment anyone touches it after its time, so this bounds only how late an untouched
    /// session's Expired event (and webhook) can be.
    /// </summary>
    public TimeSpan ExpirySweepPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Sessions expired per query of the sweep; it keeps going until none are due.</summary>
    public int ExpirySweepBatch { get; set; } = 500;
}
