using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using PaySessions.Grains.Sessions;

namespace PaySessions.Grains.Payments;

/// <summary>The refund worker (<c>PaySessions:LateRefunds</c>).</summary>
public sealed class LateRefundOptions
{
    public const string Section = "PaySessions:LateRefunds";

    /// <summary>Whether this silo's worker runs; queued refunds wait (durably) for a silo whose worker does.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often each silo looks for due refunds.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The wait after the first transient failure; it doubles after each one, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Tries before a refund that keeps failing transiently is recorded as failed (and left to an operator).</summary>
    public int MaxAttempts { get; set; } = 12;

    /// <summary>How long a claimed refund is held by the silo that claimed it: past it, another silo may try (with the same refund id).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    public int BatchSize { get; set; } = 20;
}

public sealed class LateRefundOptionsValidator : IValidateOptions<LateRefundOptions>
{
    public ValidateOptionsResult Validate(string? name, LateRefundOptions options) =>
        options.PollInterval <= TimeSpan.Zero || options.RetryDelay <= TimeSpan.Zero || options.MaxRetryDelay < options.RetryDelay
        || options.MaxAttempts < 1 || options.Lease <= TimeSpan.Zero || options.BatchSize < 1
            ? ValidateOptionsResult.Fail(
                $"{LateRefundOptions.Section}: PollInterval, RetryDelay and Lease must be positive, MaxRetryDelay at least RetryDelay, MaxAttempts and BatchSize at least 1.")
            : ValidateOptionsResult.Success;
}

/// <summary>A queued refund claimed for one try.</summary>
public sealed record ClaimedRefund(
    string RefundId, string SessionId, string Provider, string Reference, string ProviderPaymentId, long Amount, string Currency, int Attempts);

/// <summary>
/// The refunds of late payments waiting for their provider (<c>late_refunds</c>). Rows are
/// written by the event store with the <c>LatePaymentReceived</c> that decides the refund, and
/// closed by it with the outcome's event; the worker only claims them and notes failed tries.
/// </summary>
public interface ILateRefundOutbox
{
    /// <summary>Claims up to <paramref name="limit"/> due refunds, leasing each until now + <paramref name="lease"/>.</summary>
    Task<IReadOnlyList<ClaimedRefund>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken);

    /// <summary>Notes a transient failure and when to try again.</summary>
    Task RetryLaterAsync(string refundId, int attempts, string failure, DateTimeOffset retryAt, CancellationToken cancellationToken);

    /// <summary>Closes a row whose outcome the session already holds (a retry after the row's close was lost).</summary>
    Task CloseAsync(string refundId, CancellationToken cancellationToken);
}

public sealed class PostgresLateRefundOutbox(NpgsqlDataSource dataSource) : ILateRefundOutbox
{
    public async Task<IReadOnlyList<ClaimedRefund>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE late_refunds r
            SET next_attempt_at = $2
            FROM (
                SELECT refund_id FROM late_refunds
                WHERE status = 'pending' AND next_attempt_at <= $1
                ORDER BY next_attempt_at
                LIMIT $3
                FOR UPDATE SKIP LOCKED
            ) due
            WHERE r.refund_id = due.refund_id
            RETURNING r.refund_id, r.session_id, r.provider, r.provider_reference, r.provider_payment_id, r.amount, r.currency, r.attempts
            """);
        command.Parameters.Add(Time(now));
        command.Parameters.Add(Time(now + lease));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claimed = new List<ClaimedRefund>();
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new ClaimedRefund(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetInt64(5), reader.GetString(6), reader.GetInt32(7)));
        }

        return claimed;
    }

    public async Task RetryLaterAsync(string refundId, int attempts, string failure, DateTimeOffset retryAt, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE late_refunds SET attempts = $2, last_error = $3, next_attempt_at = $4 WHERE refund_id = $1 AND status = 'pending'");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = refundId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempts });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = failure });
        command.Parameters.Add(Time(retryAt));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task CloseAsync(string refundId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE late_refunds SET status = 'failed', completed_at = now() WHERE refund_id = $1 AND status = 'pending'");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = refundId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter<DateTime> Time(DateTimeOffset value) =>
        new() { TypedValue = value.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}

/// <summary>
/// Carries out the refunds of late payments, on every silo: claim due rows, ask the provider
/// (with the refund's id, derived from the payment, as its idempotency key), and hand the answer
/// to the session, whose event (LatePaymentRefunded / LatePaymentRefundFailed) closes the row in
/// the same transaction. Transient trouble is tried again later (doubling waits) until
/// <see cref="LateRefundOptions.MaxAttempts"/>, then recorded as failed. At least once towards
/// the provider (a crash after its answer asks again, with the same id), exactly once in the log.
/// </summary>
public sealed partial class LateRefundWorker(
    ILateRefundOutbox outbox,
    PaymentProviders providers,
    IGrainFactory grains,
    TimeProvider clock,
    IOptions<LateRefundOptions> options,
    ILogger<LateRefundWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }

        await OutboxPolling.RunAsync(
            async cancellationToken =>
            {
                var due = await outbox.ClaimDueAsync(clock.GetUtcNow(), settings.Lease, settings.BatchSize, cancellationToken);
                foreach (var refund in due)
                {
                    await Carry(refund, settings, cancellationToken);
                }

                return due.Count > 0;
            },
            settings.PollInterval,
            clock,
            e => LogLoopFailed(logger, e),
            stoppingToken);
    }

    private async Task Carry(ClaimedRefund refund, LateRefundOptions settings, CancellationToken cancellationToken)
    {
        ProviderRefund answer;
        if (providers.Find(refund.Provider) is not { } provider)
        {
            answer = ProviderRefund.Refused($"provider '{refund.Provider}' is not configured");
        }
        else
        {
            try
            {
                answer = await provider.RefundAsync(
                    new ProviderRefundRequest(refund.RefundId, refund.SessionId, refund.Reference, refund.ProviderPaymentId, refund.Amount, refund.Currency),
                    cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or TimeoutException or OrleansException or NpgsqlException
                or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                answer = ProviderRefund.Transient(e.GetType().Name);
            }
        }

        var attempts = refund.Attempts + 1;
        if (answer.Retry && attempts < settings.MaxAttempts)
        {
            var wait = TimeSpan.FromTicks(Math.Min(settings.MaxRetryDelay.Ticks, settings.RetryDelay.Ticks * (1L << Math.Min(attempts - 1, 30))));
            LogRetry(logger, refund.RefundId, attempts, answer.Reason ?? "error");
            await outbox.RetryLaterAsync(refund.RefundId, attempts, answer.Reason ?? "error", clock.GetUtcNow() + wait, cancellationToken);
            return;
        }

        var report = answer.Refunded
            ? new LateRefundReport(refund.RefundId, true, answer.ProviderRefundId, null)
            : new LateRefundReport(refund.RefundId, false, null, answer.Retry ? $"gave up after {attempts} attempts: {answer.Reason}" : answer.Reason);
        var recorded = await grains.GetGrain<IPaymentSessionGrain>(refund.SessionId).RecordLateRefund(report);
        if (recorded != LateRefundRecordOutcome.Recorded)
        {
            // The session already holds an outcome (or never asked): nothing more to do for this row.
            await outbox.CloseAsync(refund.RefundId, cancellationToken);
        }

        if (!answer.Refunded)
        {
            LogRefundFailed(logger, refund.SessionId, refund.Provider, report.Reason ?? "refund failed");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Late-refund loop failed; retrying")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refund {RefundId} try {Attempt} failed ({Reason}); trying again later")]
    private static partial void LogRetry(ILogger logger, string refundId, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refund of a late payment on session {SessionId} at {Provider} failed: {Reason}; flagged for manual review")]
    private static partial void LogRefundFailed(ILogger logger, string sessionId, string provider, string reason);
}
