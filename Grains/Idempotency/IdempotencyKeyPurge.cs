using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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

    // A full batch means more may be due: the next pass follows at once; otherwise wait an interval.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        OutboxPolling.RunAsync(
            async token => await store.PurgeExpiredAsync(clock.GetUtcNow(), BatchSize, token) == BatchSize,
            options.Value.PurgeInterval,
            clock,
            e => LogPurgeFailed(logger, e),
            stoppingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging expired idempotency keys failed; trying again at the next interval")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
