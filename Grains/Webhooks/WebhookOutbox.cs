using Npgsql;
using NpgsqlTypes;
using PaySessions.Grains.Sessions;

namespace PaySessions.Grains.Webhooks;

/// <summary>A delivery claimed for one attempt.</summary>
public sealed record ClaimedWebhook(Guid EventId, string BusinessId, string Payload, int Attempts, DateTimeOffset CreatedAt);

/// <summary>What one attempt came to.</summary>
public sealed record AttemptResult(string Url, int? StatusCode, string? Error, int DurationMs);

/// <summary>The merchant-webhook outbox the event store writes into, as the dispatcher and readers see it.</summary>
public interface IWebhookOutbox
{
    /// <summary>
    /// Claims up to <paramref name="limit"/> due deliveries, leasing each until now + <paramref name="lease"/>:
    /// another silo skips claimed rows, and a row whose dispatcher died is due again after the lease.
    /// </summary>
    Task<IReadOnlyList<ClaimedWebhook>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken);

    /// <summary>Records an attempt and the delivery's new state: delivered, retry at a time, or failed for good.</summary>
    Task RecordAsync(ClaimedWebhook delivery, DateTimeOffset at, AttemptResult? attempt, string status, DateTimeOffset? retryAt, CancellationToken cancellationToken);

    Task<IReadOnlyList<WebhookDelivery>> ListForSessionAsync(string sessionId, CancellationToken cancellationToken = default);
}

public sealed class PostgresWebhookOutbox(NpgsqlDataSource dataSource) : IWebhookOutbox
{
    public async Task<IReadOnlyList<ClaimedWebhook>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE webhook_deliveries d
            SET next_attempt_at = $2
            FROM (
                SELECT event_id FROM webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at <= $1
                ORDER BY next_attempt_at
                LIMIT $3
                FOR UPDATE SKIP LOCKED
            ) due
            WHERE d.event_id = due.event_id
            RETURNING d.event_id, d.business_id, d.payload::text, d.attempts, d.created_at
            """);
        command.Parameters.Add(Time(now));
        command.Parameters.Add(Time(now + lease));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claimed = new List<ClaimedWebhook>();
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new ClaimedWebhook(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return claimed;
    }

    public async Task RecordAsync(ClaimedWebhook delivery, DateTimeOffset at, AttemptResult? attempt, string status, DateTimeOffset? retryAt, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var update = new NpgsqlBatchCommand("""
            UPDATE webhook_deliveries
            SET status = $2, attempts = $3, next_attempt_at = coalesce($4, next_attempt_at),
                delivered_at = CASE WHEN $2 = 'delivered' THEN $5 ELSE delivered_at END
            WHERE event_id = $1
            """);
        update.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = delivery.EventId });
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = status });
        update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = delivery.Attempts + (attempt is null ? 0 : 1) });
        update.Parameters.Add(new NpgsqlParameter { Value = retryAt is { } r ? r.UtcDateTime : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        update.Parameters.Add(Time(at));
        batch.BatchCommands.Add(update);

        if (attempt is not null)
        {
            var log = new NpgsqlBatchCommand("""
                INSERT INTO webhook_attempts (event_id, attempt, attempted_at, url, status_code, error, duration_ms)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (event_id, attempt) DO NOTHING
                """);
            log.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = delivery.EventId });
            log.Parameters.Add(new NpgsqlParameter<int> { TypedValue = delivery.Attempts + 1 });
            log.Parameters.Add(Time(at));
            log.Parameters.Add(new NpgsqlParameter<string> { TypedValue = attempt.Url });
            log.Parameters.Add(new NpgsqlParameter { Value = attempt.StatusCode is { } code ? code : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            log.Parameters.Add(new NpgsqlParameter { Value = attempt.Error is { } error ? error : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            log.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempt.DurationMs });
            batch.BatchCommands.Add(log);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<WebhookDelivery>> ListForSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT d.event_id, d.type, d.sequence, d.status, d.created_at, d.next_attempt_at, d.delivered_at,
                   a.attempt, a.attempted_at, a.status_code, a.error, a.duration_ms
            FROM webhook_deliveries d
            LEFT JOIN webhook_attempts a ON a.event_id = d.event_id
            WHERE d.session_id = $1
            ORDER BY d.sequence, a.attempt
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        var deliveries = new List<(Guid Id, WebhookDelivery Delivery, List<WebhookAttempt> Attempts)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(0);
            if (deliveries.Count == 0 || deliveries[^1].Id != id)
            {
                var status = reader.GetString(3);
                var attempts = new List<WebhookAttempt>();
                deliveries.Add((id, new WebhookDelivery(
                    "evt_" + id.ToString("N"),
                    reader.GetString(1),
                    reader.GetInt32(2),
                    status,
                    reader.GetFieldValue<DateTimeOffset>(4),
                    status == "pending" ? reader.GetFieldValue<DateTimeOffset>(5) : null,
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                    attempts), attempts));
            }

            if (!reader.IsDBNull(7))
            {
                deliveries[^1].Attempts.Add(new WebhookAttempt(
                    reader.GetInt32(7),
                    reader.GetFieldValue<DateTimeOffset>(8),
                    reader.IsDBNull(9) ? null : reader.GetInt32(9),
                    reader.IsDBNull(10) ? null : reader.GetString(10),
                    reader.GetInt32(11)));
            }
        }

        return [.. deliveries.Select(d => d.Delivery)];
    }

    private static NpgsqlParameter<DateTime> Time(DateTimeOffset value) =>
        new() { TypedValue = value.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
