using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace PaySessions.Grains.Idempotency;

/// <summary>
/// Deletes expired idempotency keys, on every node, every <see cref="IdempotencyOptions.PurgeInterval"/>,
/// in batches. Nodes purging at once skip each other's rows; an expired key asked for before the
/// purge reaches it is replaced by its new claim (see <see cref="IIdempotencyStore.ClaimAsync"/>).
/// </summary>
public sealed partial class IdempotencyKeyPurge(
    IIdempotencyStore store,
    TimeProvider clock,
    IOptions<IdempotencyOptions> options,
    ILogger<IdempotencyKeyPurge> logger)
    : BackgroundService
{
    private const int BatchSize = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.PurgeInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, clock, stoppingToken);
                int deleted;
                do
                {
                    deleted = await store.PurgeExpiredAsync(clock.GetUtcNow(), BatchSize, stoppingToken);
                }
                while (deleted == BatchSize);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogPurgeFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging expired idempotency keys failed; trying again at the next interval")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
