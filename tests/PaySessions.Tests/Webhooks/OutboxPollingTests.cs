using PaySessions.Grains;

namespace PaySessions.Tests.Webhooks;

/// <summary>
/// The loop behind the webhook dispatcher and the late-refund worker: whatever a pass throws while
/// the database fails over, the loop reports it and goes on; only the host's stop ends it.
/// </summary>
public sealed class OutboxPollingTests
{
    [Fact]
    public async Task A_pass_that_throws_anything_is_reported_and_the_loop_carries_on_until_the_host_stops()
    {
        using var stopping = new CancellationTokenSource();
        var failures = new List<Exception>();
        var passes = 0;
        var loop = OutboxPolling.RunAsync(
            _ =>
            {
                passes++;
                return passes switch
                {
                    1 => throw new InvalidOperationException("Connection is not open"),
                    2 => throw new IOException("Unable to read data from the transport connection"),
                    < 5 => Task.FromResult(false),
                    _ => stopping.CancelAsync().ContinueWith(_ => false, TaskScheduler.Default),
                };
            },
            TimeSpan.FromMilliseconds(1),
            TimeProvider.System,
            failures.Add,
            stopping.Token);

        await loop.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(5, passes);
        Assert.Equal([typeof(InvalidOperationException), typeof(IOException)], failures.Select(f => f.GetType()));
    }
}
