namespace PaySessions.Grains;

/// <summary>
/// The loop of a worker that drains an outbox table on every silo (merchant webhooks, late
/// refunds): one pass claims and carries what is due; a pass that found work is followed at once
/// by the next, an empty one waits <c>pollInterval</c>. A pass that fails, however (the database
/// restarting or failing over, a timeout, the cluster, or anything else), is reported and tried
/// again after the wait; the loop ends only when the host stops. A loop that ended on an error
/// would end its hosted service, which stops the whole host (.NET's default): one odd exception
/// from a driver during a failover must not take a node down.
/// </summary>
public static class OutboxPolling
{
    /// <param name="pass">Claims and carries one batch; true when it found any.</param>
    /// <param name="failed">Reports a failed pass (it is tried again after the wait).</param>
    public static async Task RunAsync(
        Func<CancellationToken, Task<bool>> pass, TimeSpan pollInterval, TimeProvider clock, Action<Exception> failed, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await pass(stoppingToken))
                {
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failed(e);
            }

            try
            {
                await Task.Delay(pollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
