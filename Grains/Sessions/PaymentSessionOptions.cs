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
    /// The period of the expiry sweep's reminder: the durable schedule that brings the sweep back
    /// (on whichever silo) after a restart, and sweeps at least this often. Between its ticks the
    /// active sweeper looks every <see cref="ExpirySweepInterval"/>.
    /// </summary>
    public TimeSpan ExpirySweepPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often the active sweeper looks for sessions whose time is up (a grain timer; the
    /// shorter of this and <see cref="ExpirySweepPeriod"/>). A session is also expired the moment
    /// anyone touches it after its time, so this bounds only how late an untouched session's
    /// Expired event (and webhook) can be: about this interval plus the time to work off what
    /// fell due together.
    /// </summary>
    public TimeSpan ExpirySweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Due sessions read per query of the sweep; it keeps going until none are due.</summary>
    public int ExpirySweepBatch { get; set; } = 500;

    /// <summary>
    /// Whether the sweep expires due sessions in bulk (default true): a page of due sessions whose
    /// grains are not active on this silo is expired by the event store in one read and a few
    /// set-based writes, without activating a grain each (<c>IEventStore.ExpireDueAsync</c>).
    /// Sessions with an active grain, and any the bulk write finds moved on, are asked of their
    /// grains as before. False: every due session is asked of its grain.
    /// </summary>
    public bool ExpireInBulk { get; set; } = true;

    /// <summary>
    /// Session grains the sweep keeps expiring at once (a sliding window: one finishes, the next
    /// starts), for the sessions it leaves to their grains (see <see cref="ExpireInBulk"/>). Their
    /// appends share the event store's group commits; a wider window expires a backlog faster only
    /// while the node has room: on a busy 2-core node 16 expired 100,000 sessions faster than 64
    /// did, and slowed other requests less (bench/expiry/scale.sh, before bulk expiry).
    /// </summary>
    public int ExpirySweepConcurrency { get; set; } = 16;
}
