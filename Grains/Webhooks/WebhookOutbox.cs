using Npgsql;
using NpgsqlTypes;
using PaySessions.Grains.Sessions;

namespace PaySessions.Grains.Webhooks;

/// <summary>
/// A delivery claimed for one attempt; <paramref name="SendsCallbackToken"/>: it carries the business's <c>x-callback-token</c>;
/// <paramref name="Subscription"/>: the event type the business must have chosen (null: always sent);
/// <paramref name="SignsBody"/>: it carries Payviox's <c>Signature</c> header;
/// <paramref name="ScheduleFrom"/> and <paramref name="ScheduleAttempts"/>: when its retry schedule began and the attempts
/// made before (the event and none, until a redelivery starts the schedule over); <paramref name="Redeliveries"/>: how many
/// redeliveries it had when claimed (an outcome recorded after another one does not overwrite it);
/// <paramref name="Type"/>: the webhook type (its lane, <see cref="PostgresWebhookOutbox.NoticeTypes"/>).
/// </summary>
public sealed record ClaimedWebhook(
    Guid EventId, string BusinessId, string Payload, int Attempts, DateTimeOffset CreatedAt, bool SendsCallbackToken = false,
    string? Subscription = null, bool SignsBody = false, DateTimeOffset? ScheduleFrom = null, int ScheduleAttempts = 0, int Redeliveries = 0,
    string Type = "");

/// <summary>What one attempt came to.</summary>
public sealed record AttemptResult(string Url, int? StatusCode, string? Error, int DurationMs);

/// <summary>A claimed delivery's attempt (none when it was skipped) and its new state.</summary>
public sealed record WebhookOutcome(ClaimedWebhook Delivery, DateTimeOffset At, AttemptResult? Attempt, string Status, DateTimeOffset? RetryAt);

/// <summary>The merchant-webhook outbox the event store writes into, as the dispatcher and readers see it.</summary>
public interface IWebhookOutbox
{
    /// <summary>
    /// Claims up to <paramref name="limit"/> due deliveries, of which at most <paramref name="noticeLimit"/>
    /// expiry notices, leasing each until now + <paramref name="lease"/>: another silo skips claimed
    /// rows, and a row whose dispatcher died is due again after the lease.
    /// </summary>
    Task<IReadOnlyList<ClaimedWebhook>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int limit, int noticeLimit, CancellationToken cancellationToken);

    /// <summary>
    /// Records attempts and each delivery's new state (delivered, retry at a time, failed for good,
    /// skipped for want of a URL, unsubscribed) in one transaction: a dispatcher records a whole claimed batch with one commit.
    /// </summary>
    Task RecordAsync(IReadOnlyList<WebhookOutcome> outcomes, CancellationToken cancellationToken);

    Task<IReadOnlyList<WebhookDelivery>> ListForSessionAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes one delivery of <paramref name="businessId"/> (in the mode of <paramref name="livemode"/>) pending
    /// again and records the request, in one transaction; null when the business has no such delivery.
    /// </summary>
    Task<RedeliveredWebhook?> RedeliverAsync(
        Guid eventId, string businessId, bool livemode, RedeliveryRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// The same for up to <see cref="RedeliveryFilter.Limit"/> matching deliveries, oldest first, made due
    /// <paramref name="spacing"/> apart so a large call does not stand in front of the webhooks the
    /// dispatcher owes meanwhile.
    /// </summary>
    Task<BulkRedelivery> RedeliverMatchingAsync(
        string businessId, bool livemode, RedeliveryFilter filter, string filterJson, RedeliveryRequest request, TimeSpan spacing,
        CancellationToken cancellationToken = default);

    Task<IReadOnlyList<WebhookRedeliveryRecord>> ListRedeliveriesForSessionAsync(string sessionId, CancellationToken cancellationToken = default);
}

/// <summary>Who asked for a redelivery, when, and the id the call's records share.</summary>
public sealed record RedeliveryRequest(Guid RequestId, DateTimeOffset At, string RequestedBy);

public sealed class PostgresWebhookOutbox(NpgsqlDataSource dataSource) : IWebhookOutbox
{
    /// <summary>
    /// The webhook types of the Expired event (both dialects): the notice lane. A mass expiry
    /// queues them by the hundred thousand; nothing a merchant waits on to ship an order is among
    /// them. deploy/sql/0022_webhook_delivery_lanes.sql indexes each lane with exactly this list.
    /// </summary>
    public static readonly IReadOnlyList<string> NoticeTypes = [PayvioxWebhookEvents.Expired, XenditWebhookBody.Expired];

    /// <summary>The share of a claim kept for the notice lane when it has due rows (one in five): the events lane never starves it.</summary>
    public const int NoticeShareDivisor = 5;

    private static readonly string NoticeList = string.Join(", ", NoticeTypes.Select(t => $"'{t}'"));

    // Two lanes, each read through its own partial index: events (a completion, a refund...) first,
    // then expiry notices, oldest due first within each; but the oldest $4 due notices go before the
    // events, so that a steady stream of events cannot hold the notices back for ever. Rows read
    // but not taken stay pending and unleased (their locks end with the statement).
    private static readonly string ClaimSql = $"""
        WITH events AS (
            SELECT event_id, next_attempt_at FROM webhook_deliveries
            WHERE status = 'pending' AND type NOT IN ({NoticeList}) AND next_attempt_at <= $1
            ORDER BY next_attempt_at
            LIMIT $3
            FOR UPDATE SKIP LOCKED
        ), notices AS (
            SELECT event_id, next_attempt_at FROM webhook_deliveries
            WHERE status = 'pending' AND type IN ({NoticeList}) AND next_attempt_at <= $1
            ORDER BY next_attempt_at
            LIMIT $5
            FOR UPDATE SKIP LOCKED
        ), ranked AS (
            SELECT event_id, next_attempt_at, 1 AS rank FROM events
            UNION ALL
            SELECT event_id, next_attempt_at, CASE WHEN row_number() OVER (ORDER BY next_attempt_at) <= $4 THEN 0 ELSE 2 END FROM notices
        ), due AS (
            SELECT event_id FROM ranked ORDER BY rank, next_attempt_at LIMIT $3
        )
        UPDATE webhook_deliveries d
        SET next_attempt_at = $2, leased_until = $2
        FROM due
        WHERE d.event_id = due.event_id
        RETURNING d.event_id, d.business_id, d.payload::text, d.attempts, d.created_at, d.sends_callback_token, d.subscription, d.signs_body,
                  coalesce(d.schedule_from, d.created_at), d.schedule_attempts, d.redeliveries, d.type
        """;

    /// <summary>The notices a claim of <paramref name="limit"/> keeps room for, when that many are due.</summary>
    public static int NoticeReserve(int limit) => limit < 2 ? 0 : Math.Max(1, limit / NoticeShareDivisor);

    /// <summary>Whether a webhook type is an expiry notice (the paced lane).</summary>
    public static bool IsNotice(string type) => NoticeTypes.Contains(type);

    public async Task<IReadOnlyList<ClaimedWebhook>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int limit, int noticeLimit, CancellationToken cancellationToken)
    {
        noticeLimit = Math.Clamp(noticeLimit, 0, limit);
        await using var command = dataSource.CreateCommand(ClaimSql);
        command.Parameters.Add(Time(now));
        command.Parameters.Add(Time(now + lease));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Math.Min(NoticeReserve(limit), noticeLimit) });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = noticeLimit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claimed = new List<ClaimedWebhook>();
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new ClaimedWebhook(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetBoolean(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetBoolean(7),
                reader.GetFieldValue<DateTimeOffset>(8), reader.GetInt32(9), reader.GetInt32(10), reader.GetString(11)));
        }

        // RETURNING keeps no order: events first, then notices, each oldest first.
        return [.. claimed.OrderBy(c => IsNotice(c.Type) ? 1 : 0).ThenBy(c => c.CreatedAt)];
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
        // A redelivery asked for while the row was out (its count moved since the claim) keeps the
        // row pending: the outcome is logged as an attempt, but the state stays the redelivery's,
        // due at once now that the send is over.
        var update = new NpgsqlBatchCommand("""
            UPDATE webhook_deliveries d
            SET status = CASE WHEN d.redeliveries = o.redeliveries THEN o.status ELSE d.status END,
                attempts = o.attempts,
                next_attempt_at = CASE WHEN d.redeliveries = o.redeliveries THEN coalesce(o.retry_at, d.next_attempt_at)
                                       ELSE least(d.next_attempt_at, o.at) END,
                delivered_at = CASE WHEN o.status = 'delivered' THEN o.at ELSE d.delivered_at END,
                leased_until = NULL
            FROM unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[], $5::timestamptz[], $6::int[])
                AS o(event_id, status, attempts, retry_at, at, redeliveries)
            WHERE d.event_id = o.event_id
            """);
        update.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. outcomes.Select(o => o.Delivery.EventId)] });
        update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. outcomes.Select(o => o.Status)] });
        update.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. outcomes.Select(o => o.Delivery.Attempts + (o.Attempt is null ? 0 : 1))] });
        update.Parameters.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = [.. outcomes.Select(o => o.RetryAt?.UtcDateTime)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        update.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. outcomes.Select(o => o.At.UtcDateTime)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        update.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. outcomes.Select(o => o.Delivery.Redeliveries)] });
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

    // The target rows are locked first, so a redelivery and a dispatcher's record of the same row
    // take turns (a bulk call skips rows locked at that moment rather than wait: it locks many, and
    // waiting on a dispatcher's record, which locks many too, could deadlock). A row out with a dispatcher (leased) becomes due when its lease ends, not at
    // once: two dispatchers never send one row together.
    private static string RedeliverSql(string where, string lockOption) => $"""
        WITH candidates AS (
            SELECT d.event_id, d.session_id, d.type, d.status, d.created_at
            FROM webhook_deliveries d
            JOIN sessions s ON s.session_id = d.session_id
            WHERE d.business_id = $1 AND s.livemode = $2 AND ({where})
            ORDER BY d.created_at, d.event_id
            LIMIT $3
            FOR UPDATE OF d {lockOption}
        ),
        numbered AS (
            SELECT c.*, row_number() OVER (ORDER BY c.created_at, c.event_id) AS n FROM candidates c
        ),
        updated AS (
            UPDATE webhook_deliveries d
            SET status = 'pending',
                next_attempt_at = greatest($4 + (n.n - 1) * $8::interval, coalesce(d.leased_until, $4)),
                schedule_from = $4, schedule_attempts = d.attempts, redeliveries = d.redeliveries + 1
            FROM numbered n
            WHERE d.event_id = n.event_id AND n.n <= $9
        ),
        logged AS (
            INSERT INTO webhook_redeliveries (request_id, event_id, session_id, business_id, requested_at, requested_by, bulk, filter, previous_status)
            SELECT $5, n.event_id, n.session_id, $1, $4, $6, $7::jsonb IS NOT NULL, $7::jsonb, n.status
            FROM numbered n WHERE n.n <= $9
        )
        SELECT n.event_id, n.session_id, n.type, n.status, n.created_at, n.n FROM numbered n ORDER BY n.n
        """;

    public async Task<RedeliveredWebhook?> RedeliverAsync(
        Guid eventId, string businessId, bool livemode, RedeliveryRequest request, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(RedeliverSql("d.event_id = $10", ""));
        AddRedeliveryParameters(command, businessId, livemode, 1, request, null, TimeSpan.Zero);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = eventId });
        var rows = await ReadRedelivered(command, request, cancellationToken);
        return rows.Count == 0 ? null : rows[0].Webhook;
    }

    public async Task<BulkRedelivery> RedeliverMatchingAsync(
        string businessId, bool livemode, RedeliveryFilter filter, string filterJson, RedeliveryRequest request, TimeSpan spacing,
        CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(RedeliverSql(
            "($10::text IS NULL OR d.type = $10) AND ($11::timestamptz IS NULL OR d.created_at >= $11) "
            + "AND ($12::timestamptz IS NULL OR d.created_at < $12) AND (NOT $13 OR d.status <> 'delivered')",
            "SKIP LOCKED"));
        // One more than the limit is read (and left alone) to tell whether more matched.
        AddRedeliveryParameters(command, businessId, livemode, filter.Limit + 1, request, filterJson, spacing);
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = filter.Type, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTime?> { TypedValue = filter.CreatedFrom?.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTime?> { TypedValue = filter.CreatedTo?.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = filter.OnlyUndelivered });
        var rows = await ReadRedelivered(command, request, cancellationToken);
        var done = rows.Where(r => r.N <= filter.Limit).Select(r => r.Webhook).ToList();
        var next = rows.Where(r => r.N > filter.Limit).Select(r => r.Webhook).FirstOrDefault();
        return new BulkRedelivery(request.RequestId.ToString(), done, next is not null, next?.CreatedAt);
    }

    private static void AddRedeliveryParameters(
        NpgsqlCommand command, string businessId, bool livemode, int read, RedeliveryRequest request, string? filterJson, TimeSpan spacing)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = livemode });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = read });
        command.Parameters.Add(Time(request.At));
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = request.RequestId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = request.RequestedBy });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = filterJson, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = spacing, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = filterJson is null ? 1 : read - 1 });
    }

    private static async Task<List<(RedeliveredWebhook Webhook, long N)>> ReadRedelivered(
        NpgsqlCommand command, RedeliveryRequest request, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<(RedeliveredWebhook, long)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((new RedeliveredWebhook(
                "evt_" + reader.GetGuid(0).ToString("N"), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), request.RequestId.ToString()), reader.GetInt64(5)));
        }

        return rows;
    }

    public async Task<IReadOnlyList<WebhookRedeliveryRecord>> ListRedeliveriesForSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT r.id, r.request_id, r.event_id, d.type, r.requested_at, r.requested_by, r.bulk, r.previous_status
            FROM webhook_redeliveries r
            JOIN webhook_deliveries d ON d.event_id = r.event_id
            WHERE r.session_id = $1
            ORDER BY r.id
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var records = new List<WebhookRedeliveryRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new WebhookRedeliveryRecord(
                reader.GetInt64(0), reader.GetGuid(1).ToString(), "evt_" + reader.GetGuid(2).ToString("N"), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5), reader.GetBoolean(6), reader.GetString(7)));
        }

        return records;
    }

    private static NpgsqlParameter<DateTime> Time(DateTimeOffset value) =>
        new() { TypedValue = value.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
