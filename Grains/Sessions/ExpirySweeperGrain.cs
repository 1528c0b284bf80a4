using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PaySessions.Grains.EventStore;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// The expiry sweep. Each tick pages through open sessions past their time (oldest first, from the
/// partial index on the projection) and asks each grain to expire itself; the grain decides from
/// its own log, so a stale projection row or a duplicate tick does no harm.
/// </summary>
public sealed partial class ExpirySweeperGrain(
    ISessionIndex index,
    IReminderTable reminders,
    TimeProvider clock,
    IOptions<PaymentSessionOptions> options,
    ILogger<ExpirySweeperGrain> logger)
    : Grain, IExpirySweeperGrain, IRemindable
{
    private const string Reminder = "expiry-sweep";
    private const int Concurrency = 32;

    // Bounds one tick, so a backlog is worked off over several ticks instead of one endless turn.
    private const int MaxPerTick = 20_000;

    // The reminder outlives the silo that registered it, with the period it was given then. Every
    // silo start calls this: it registers the reminder when there is none, and again when the
    // configured period has changed since (a restart is how configuration changes take effect).
    // An unchanged reminder is left alone, so restarts do not push the next tick back.
    // IGrainReminder does not carry its period, so that is read from the reminder table; asking
    // the reminder service first also waits, as before, until it (and its table) has started.
    public async Task EnsureScheduled()
    {
        var period = options.Value.ExpirySweepPeriod;
        if (await this.GetReminder(Reminder) is null
            || await reminders.ReadRow(this.GetGrainId(), Reminder) is not { } existing
            || existing.Period != period)
        {
            await this.RegisterOrUpdateReminder(Reminder, period, period);
        }
    }

    public async Task<int> SweepNow()
    {
        var expired = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (seen.Count < MaxPerTick)
        {
            var due = (await index.DueForExpiryAsync(clock.GetUtcNow(), options.Value.ExpirySweepBatch)).Where(seen.Add).ToList();
            if (due.Count == 0)
            {
                break;
            }

            foreach (var chunk in due.Chunk(Concurrency))
            {
                var results = await Task.WhenAll(chunk.Select(id => GrainFactory.GetGrain<IPaymentSessionGrain>(id).ExpireIfDue()));
                expired += results.Count(done => done);
            }
        }

        if (expired > 0)
        {
            LogSwept(logger, expired);
        }

        return expired;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == Reminder ? SweepNow() : Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Expiry sweep expired {Count} sessions")]
    private static partial void LogSwept(ILogger logger, int count);
}
