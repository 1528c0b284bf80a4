namespace PaySessions.Grains.Sessions;

/// <summary>
/// Expires sessions whose time is up, driven by one Orleans reminder: each tick asks the
/// <c>sessions</c> projection for open sessions past their <c>expires_at</c> and tells each
/// session grain to expire itself. One reminder for all sessions instead of one per session:
/// creating a session costs no reminder write, and a million open sessions cost no timers.
/// </summary>
[Alias("PaySessions.IExpirySweeperGrain")]
public interface IExpirySweeperGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Registers the sweep reminder when it is not registered yet or its period differs from the
    /// configured one; a reminder with the configured period is left as it is.
    /// </summary>
    [Alias("EnsureScheduled")]
    Task EnsureScheduled();

    /// <summary>Runs one sweep now; answers how many sessions it expired.</summary>
    [Alias("SweepNow")]
    Task<int> SweepNow();
}
