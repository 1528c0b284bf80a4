namespace PaySessions.Silo.Hosting;

/// <summary>
/// A deadline on every grain call made from outside a grain (the HTTP front door and the
/// background services): past it, the caller gets a <see cref="TimeoutException"/>, which the
/// front door answers 503 with <c>Retry-After</c>. Without it such a call waits for Orleans'
/// response timeout (30 s), e.g. a call that reached a silo just before that silo died, until
/// the membership declares it dead. The call itself goes on (Orleans cannot take back a message
/// it sent), so a timed-out write may still happen: the front door never repeats a write that
/// timed out (see <c>TransientFailures</c>). Calls between grains keep Orleans' own timeout.
/// </summary>
/// <remarks>
/// The deadline is coarse, between <see cref="Timeout"/> and <see cref="Timeout"/> plus
/// <see cref="Slot"/>: calls that start within the same slot share one cancellation source,
/// so a busy node keeps about sixty timers in all instead of one per call (a timer per call was
/// a tenth of the CPU of creates at 64 connections, most of it the runtime's timer thread
/// walking tens of thousands of them; see bench/create/README.md).
/// </remarks>
public sealed class FrontDoorCallDeadline(TimeSpan timeout) : IOutgoingGrainCallFilter
{
    /// <summary>How late past <see cref="Timeout"/> a deadline may fire.</summary>
    public static readonly TimeSpan Slot = TimeSpan.FromMilliseconds(250);

    private DeadlineSlot _current = new(long.MinValue, CancellationToken.None);

    public TimeSpan Timeout { get; } = timeout;

    public Task Invoke(IOutgoingGrainCallContext context) =>
        context.SourceContext is null ? InvokeWithDeadline(context) : context.Invoke();

    private async Task InvokeWithDeadline(IOutgoingGrainCallContext context)
    {
        var call = context.Invoke();
        if (call.IsCompleted)
        {
            await call;
            return;
        }

        var deadline = CurrentDeadline();
        try
        {
            await call.WaitAsync(deadline);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !call.IsCompleted)
        {
            // Whatever the abandoned call ends with is observed here, never left unobserved.
            _ = call.ContinueWith(static finished => finished.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            throw new TimeoutException($"{context.InterfaceName}.{context.MethodName} did not answer within {Timeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>
    /// The token of the slot now running, cancelled <see cref="Timeout"/> plus one slot after the
    /// slot's first call: every call of the slot gets at least <see cref="Timeout"/>.
    /// </summary>
    private CancellationToken CurrentDeadline()
    {
        var number = Environment.TickCount64 / (long)Slot.TotalMilliseconds;
        while (true)
        {
            var current = Volatile.Read(ref _current);
            if (current.Number >= number)
            {
                return current.Token;
            }

            // Never disposed: a source made with a delay lets go of its timer when it fires, and
            // calls of its slot may still be waiting on it until then.
            var source = new CancellationTokenSource(Timeout + Slot);
            var next = new DeadlineSlot(number, source.Token);
            if (Interlocked.CompareExchange(ref _current, next, current) == current)
            {
                return next.Token;
            }

            source.Dispose();
        }
    }

    private sealed record DeadlineSlot(long Number, CancellationToken Token);
}
