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
public sealed class FrontDoorCallDeadline(TimeSpan timeout) : IOutgoingGrainCallFilter
{
    public TimeSpan Timeout { get; } = timeout;

    public Task Invoke(IOutgoingGrainCallContext context) =>
        context.SourceContext is null ? InvokeWithDeadline(context) : context.Invoke();

    private async Task InvokeWithDeadline(IOutgoingGrainCallContext context)
    {
        var call = context.Invoke();
        try
        {
            await call.WaitAsync(Timeout);
        }
        catch (TimeoutException) when (!call.IsCompleted)
        {
            // Whatever the abandoned call ends with is observed here, never left unobserved.
            _ = call.ContinueWith(static finished => finished.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            throw new TimeoutException($"{context.InterfaceName}.{context.MethodName} did not answer within {Timeout.TotalSeconds:0.#} s.");
        }
    }
}
