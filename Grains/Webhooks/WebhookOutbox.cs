using Npgsql;
using NpgsqlTypes;
using PaySessions.Grains.Sessions;

namespace PaySessions.Grains.Webhooks;

/// <summary>
/// A delivery claimed for one attempt; <paramref name="SendsCallbackToken"/>: it carries the business's <c>x-callback-token</c>;
/// <paramref name="Subscription"/>: the event type the business must have chosen (null: always sent);
/// <paramref name="SignsBody"/>: it carries Payviox's <c>Signature</c> header.
/// </summary>
public sealed record ClaimedWebhook(
    Guid EventId, string BusinessId, string Payload, int Attempts, DateTimeOffset CreatedAt, bool SendsCallbackToken = false,
    string? Subscription = null, bool SignsBody = false);

/// <summary>What one attempt came to.</summary>
public sealed record AttemptResult(string Url, int? StatusCode, string? Error, int DurationMs);

/// <summary>A claimed delivery's attempt (none when it was skipped) and its new state.</summary>
public sealed record WebhookOutcome(ClaimedWebhook Delivery, DateTimeOffset At, AttemptResult? Attempt, string Status, DateTimeOffset? RetryAt);

/// <summary>The merchant-webhook outbox the event store writes into, as the dispatcher and readers see it.</summary>
public interface IWebhookOutbox
{
    /// <summary>
    /// Claims up to <paramref name="limit"/> due deliveries, leasing each until now + <paramref name="lease"/>:
    /// another silo skips claimed rows, and a row whose dispatcher died is due again after the lease.
    /// </summary>
    Task<IReadOnlyList<ClaimedWebhook>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Records attempts and each delivery's new state (delivered, retry at a time, failed for good,
    /// skipped for want of a URL, unsubscribed) in one transaction: a dispatcher records a whole claimed batch with one commit.
    /// </summary>
    Task RecordAsync(IReadOnlyList<WebhookOutcome> outcomes, CancellationToken cancellationToken);

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
            RETURNING d.event_id, d.business_id, d.payload::text, d.attempts, d.created_at, d.sends_callback_token, d.subscription, d.signs_body
            """);
        command.Parameters.Add(Time(now));
        command.Parameters.Add(Time(now + lease));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claimed = new List<ClaimedWebhook>();
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new ClaimedWebhook(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetBoolean(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetBoolean(7)));
        }

        return claimed;
    }

    public async Task RecordAsync(IReadOnlyList<WebhookOutcome> outcomes, CancellationToken cancellationToken)
    {
        if (outcomes.Count == 0)
        {
            return;
        }

        // One statement per table over arrays, in one implicit transaction: one commit however
        // many deliveries the batch holds.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var update = new NpgsqlBatchCommand("""
            UPDATE webhook_deliveries d
            SET status = o.status, attempts = o.attempts, next_attempt_at = coalesce(o.retry_at, d.next_attempt_at),
                delivered_at = CASE WHEN o.status = 'delivered' THEN o.at ELSE d.delivered_at END
            FROM unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[], $5::timestamptz[]) AS o(event_id, status, attempts, retry_at, at)
            WHERE d.event_id = o.event_id
            """);
        update.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. outcomes.Select(o => o.Delivery.EventId)] });
        update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. outcomes.Select(o => o.Status)] });
        update.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. outcomes.Select(o => o.Delivery.Attempts + (o.Attempt is null ? 0 : 1))] });
        update.Parameters.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = [.. outcomes.Select(o => o.RetryAt?.UtcDateTime)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        update.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. outcomes.Select(o => o.At.UtcDateTime)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        batch.BatchCommands.Add(update);

        var attempted = outcomes.Where(o => o.Attempt is not null).ToList();
        if (attempted.Count > 0)
        {
            var log = new NpgsqlBatchCommand("""
                INSERT INTO webhook_attempts (event_id, attempt, attempted_at, url, status_code, error, duration_ms)
                SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[], $5::int[], $6::text[], $7::int[])
                ON CONFLICT (event_id, attempt) DO NOTHING
                """);
            log.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. attempted.Select(o => o.Delivery.EventId)] });
            log.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. attempted.Select(o => o.Delivery.Attempts + 1)] });
            log.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. attempted.Select(o => o.At.UtcDateTime)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            log.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. attempted.Select(o => o.Attempt!.Url)] });
            log.Parameters.Add(new NpgsqlParameter<int?[]> { TypedValue = [.. attempted.Select(o => o.Attempt!.StatusCode)] });
            log.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. attempted.Select(o => o.Attempt!.Error)] });
            log.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. attempted.Select(o => o.Attempt!.DurationMs)] });
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
