using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions.Xendit;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// The expiry sweep. A sweep walks the open sessions past their time (in (<c>expires_at</c>, id)
/// order, from the partial index on the projection), a page at a time. Sessions whose grain is not
/// active on this silo are expired in bulk by the event store (<see cref="IEventStore.ExpireDueAsync"/>:
/// one read of their streams, the decision from each folded stream, set-based writes guarded by
/// each stream's version, behind live appends), so no grain is activated for them. The others (an
/// active grain, or a stream the bulk write found moved on) are asked of their grains, keeping
/// <see cref="PaymentSessionOptions.ExpirySweepConcurrency"/> in flight so their appends share
/// group commits; either way the decision comes from the session's stored log, so a stale
/// projection row or a duplicate sweep does no harm. A sweep runs until a page comes back short
/// (nothing more was due when it was read), however many fell due together. The durable reminder (every <see cref="PaymentSessionOptions.ExpirySweepPeriod"/>)
/// brings the sweeper back on some silo; while active, a grain timer sweeps every
/// <see cref="PaymentSessionOptions.ExpirySweepInterval"/>. One sweep at a time: a timer tick while
/// one runs waits for it, and <see cref="SweepNow"/> runs after it.
/// </summary>
public sealed partial class ExpirySweeperGrain(
    ISessionIndex index,
    IEventStore store,
    SessionActivations activations,
    PaymentLinks links,
    IReminderTable reminders,
    TimeProvider clock,
    IOptions<PaymentSessionOptions> options,
    ILogger<ExpirySweeperGrain> logger)
    : Grain, IExpirySweeperGrain, IRemindable
{
    private const string Reminder = "expiry-sweep";

    private IGrainTimer? _timer;

    // The sweep running, or the last one; every new sweep starts after it.
    private Task<int> _sweep = Task.FromResult(0);

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

        StartTimer();
    }

    public Task<int> SweepNow() => Sweep();

    // A tick on a fresh activation (the silo restarted, or the sweeper moved) starts the timer,
    // whose first tick is at once; on an active sweeper the timer is already sweeping.
    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == Reminder)
        {
            StartTimer();
        }

        return Task.CompletedTask;
    }

    // Only a scheduled sweeper polls: one activated just to answer SweepNow (as in tests on a fake
    // clock) sweeps only when asked.
    private void StartTimer()
    {
        if (_timer is not null)
        {
            return;
        }

        var settings = options.Value;
        var interval = settings.ExpirySweepInterval > TimeSpan.Zero && settings.ExpirySweepInterval < settings.ExpirySweepPeriod
            ? settings.ExpirySweepInterval
            : settings.ExpirySweepPeriod;

        // Interleaved, so calls (SweepNow, reminder ticks) are not held up behind a long sweep;
        // the next tick comes an interval after the previous callback's task completes.
        _timer = this.RegisterGrainTimer(OnTimer, new GrainTimerCreationOptions(TimeSpan.Zero, interval) { Interleave = true, KeepAlive = true });
    }

    private async Task OnTimer(CancellationToken cancellationToken)
    {
        if (!_sweep.IsCompleted)
        {
            return;
        }

        try
        {
            await Sweep();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogSweepFailed(logger, e);
        }
    }

    private Task<int> Sweep()
    {
        var previous = _sweep;
        _sweep = After(previous);
        return _sweep;

        async Task<int> After(Task<int> earlier)
        {
            try
            {
                await earlier;
            }
            catch (Exception)
            {
                // Whoever awaited the earlier sweep saw its failure; this one starts afresh.
            }

            return await SweepDue();
        }
    }

    /// <summary>
    /// One sweep: a pager reads due sessions page by page and expires the page's idle ones in bulk;
    /// the rest go into a small queue, and a fixed number of workers take them one by one to their
    /// grains, so a slow grain holds up one slot, not a whole chunk.
    /// </summary>
    private async Task<int> SweepDue()
    {
        var settings = options.Value;
        var queue = Channel.CreateBounded<string>(new BoundedChannelOptions(Math.Max(1, settings.ExpirySweepBatch)) { SingleWriter = true });
        var expired = 0;
        var inBulk = 0;
        var failed = 0;
        Exception? firstFailure = null;

        async Task Work()
        {
            while (await queue.Reader.WaitToReadAsync())
            {
                while (queue.Reader.TryRead(out var sessionId))
                {
                    try
                    {
                        if (await GrainFactory.GetGrain<IPaymentSessionGrain>(sessionId).ExpireIfDue())
                        {
                            expired++;
                        }
                    }
                    catch (Exception e)
                    {
                        // One session that cannot be expired now (a conflict storm, the database
                        // away) must not stop the others; the next sweep finds it again.
                        failed++;
                        firstFailure ??= e;
                    }
                }
            }
        }

        var workers = Enumerable.Range(0, Math.Max(1, settings.ExpirySweepConcurrency)).Select(_ => Work()).ToList();
        try
        {
            DueSession? cursor = null;
            while (true)
            {
                var page = await index.DueForExpiryAsync(clock.GetUtcNow(), cursor, Math.Max(1, settings.ExpirySweepBatch));
                if (page.Count == 0)
                {
                    break;
                }

                cursor = page[^1];
                var toGrains = new List<string>();
                var bulk = new List<string>();
                foreach (var due in page)
                {
                    (settings.ExpireInBulk && !activations.IsActive(due.SessionId) ? bulk : toGrains).Add(due.SessionId);
                }

                if (bulk.Count > 0)
                {
                    try
                    {
                        var result = await store.ExpireDueAsync(bulk, clock.GetUtcNow(), links);
                        inBulk += result.Expired.Count;
                        SessionMetrics.ExpiredInBulk(result.Expired);
                        toGrains.AddRange(result.Refused);
                    }
                    catch (Exception e)
                    {
                        // Nothing of the failed chunks was written; these sessions stay open and
                        // due, and the next sweep finds them again.
                        failed += bulk.Count;
                        firstFailure ??= e;
                    }
                }

                foreach (var sessionId in toGrains)
                {
                    await queue.Writer.WriteAsync(sessionId);
                }

                // A short page was the end of what was due when it was read: what falls due from
                // here on waits for the next tick, so a steady trickle is expired in one batch per
                // interval rather than by a sweep that never ends and commits a few at a time.
                if (page.Count < Math.Max(1, settings.ExpirySweepBatch))
                {
                    break;
                }
            }
        }
        finally
        {
            queue.Writer.Complete();
            await Task.WhenAll(workers);
        }

        if (expired + inBulk > 0)
        {
            LogSwept(logger, expired + inBulk, inBulk, expired);
        }

        if (firstFailure is not null)
        {
            LogSessionsFailed(logger, failed, firstFailure);
        }

        return expired + inBulk;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Expiry sweep expired {Count} sessions ({InBulk} in bulk, {ByGrains} by their grains)")]
    private static partial void LogSwept(ILogger logger, int count, int inBulk, int byGrains);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiry sweep could not expire {Count} sessions; the next sweep tries again")]
    private static partial void LogSessionsFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiry sweep failed; the next tick tries again")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
