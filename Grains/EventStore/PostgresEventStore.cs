using Npgsql;
using NpgsqlTypes;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Grains.EventStore;

/// <summary>
/// Event rows in <c>session_events</c> (append-only: a trigger refuses UPDATE and DELETE) and the
/// <c>sessions</c> projection (plus the provider-reference index for PaymentInitiated), written by
/// one batch in one implicit transaction: a single round trip, and PostgreSQL rolls back every
/// statement of the batch when any one fails.
/// </summary>
public sealed class PostgresEventStore(NpgsqlDataSource dataSource) : IEventStore
{
    private const string UniqueViolation = "23505";
    private const string StreamVersionKey = "session_events_pkey";
    private const string EventIdKey = "session_events_event_id_key";
    private const string OrderIdKey = "sessions_business_order_key";

    private const string ReadSql = """
        SELECT version, type, data::text
        FROM session_events
        WHERE stream_id = $1
        ORDER BY version
        """;

    private const string InsertEventsSql = """
        INSERT INTO session_events (stream_id, version, event_id, type, data, occurred_at)
        SELECT $1, e.version, e.event_id, e.type, e.data::json, e.occurred_at
        FROM unnest($2::int[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[])
            AS e(version, event_id, type, data, occurred_at)
        """;

    // The projection only moves forward: a row already at a newer version is left alone.
    private const string UpsertProjectionSql = """
        INSERT INTO sessions (session_id, business_id, order_id, customer, status, amount, currency,
                              created_at, expires_at, version, livemode, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
        ON CONFLICT (session_id) DO UPDATE
            SET status = excluded.status,
                expires_at = excluded.expires_at,
                version = excluded.version,
                updated_at = excluded.updated_at
            WHERE sessions.version < excluded.version
        """;

    // A reference already mapped is left alone: the append must not fail on anything but the
    // stream's version, or the log adaptor would retry it forever.
    private const string IndexReferencesSql = """
        INSERT INTO provider_references (provider, reference, session_id)
        SELECT r.provider, r.reference, $1
        FROM unnest($2::text[], $3::text[]) AS r(provider, reference)
        ON CONFLICT (provider, reference) DO NOTHING
        """;

    private const string QueueWebhooksSql = """
        INSERT INTO webhook_deliveries (event_id, session_id, business_id, type, sequence, payload)
        SELECT w.event_id, $1, w.business_id, w.type, w.sequence, w.payload::json
        FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::text[]) AS w(event_id, business_id, type, sequence, payload)
        """;

    public async Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ReadSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        var events = new List<StoredEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var type = reader.GetString(1);
            var data = reader.GetString(2);
            events.Add(new StoredEvent(reader.GetInt32(0), type, data, EventTypes.Deserialize(type, data)));
        }

        return events;
    }

    public async Task<AppendResult> AppendAsync(
        string streamId,
        int expectedVersion,
        IReadOnlyList<PaymentSessionEvent> events,
        SessionProjection projection,
        IReadOnlyList<OutboundWebhook>? webhooks = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        if (events.Count == 0)
        {
            return AppendResult.Appended;
        }

        var count = events.Count;
        var versions = new int[count];
        var ids = new Guid[count];
        var types = new string[count];
        var data = new string[count];
        var times = new DateTime[count];
        for (var i = 0; i < count; i++)
        {
            versions[i] = checked(expectedVersion + i + 1);
            ids[i] = events[i].EventId;
            types[i] = EventTypes.NameOf(events[i]);
            data[i] = EventTypes.Serialize(events[i]);
            times[i] = events[i].OccurredAt.UtcDateTime;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);

        var insert = new NpgsqlBatchCommand(InsertEventsSql);
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
        insert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = versions });
        insert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = types });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = data });
        insert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = times, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        batch.BatchCommands.Add(insert);

        var upsert = new NpgsqlBatchCommand(UpsertProjectionSql);
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection.SessionId });
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection.BusinessId });
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection.OrderId });
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection.Customer });
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection.Status });
        upsert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = projection.Amount });
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection.Currency });
        upsert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = projection.CreatedAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        upsert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = projection.ExpiresAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        upsert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = projection.Version });
        upsert.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = projection.Livemode });
        batch.BatchCommands.Add(upsert);

        var initiated = events.OfType<PaymentInitiated>().ToArray();
        if (initiated.Length > 0)
        {
            var index = new NpgsqlBatchCommand(IndexReferencesSql);
            index.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
            index.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. initiated.Select(e => e.Provider)] });
            index.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. initiated.Select(e => e.ProviderReference)] });
            batch.BatchCommands.Add(index);
        }

        if (webhooks is { Count: > 0 })
        {
            var outbox = new NpgsqlBatchCommand(QueueWebhooksSql);
            outbox.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
            outbox.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. webhooks.Select(w => w.EventId)] });
            outbox.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. webhooks.Select(w => w.BusinessId)] });
            outbox.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. webhooks.Select(w => w.Type)] });
            outbox.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. webhooks.Select(w => w.Sequence)] });
            outbox.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. webhooks.Select(w => w.Payload)] });
            batch.BatchCommands.Add(outbox);
        }

        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
            return AppendResult.Appended;
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation && e.ConstraintName == OrderIdKey)
        {
            return AppendResult.DuplicateOrderId;
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation && e.ConstraintName is StreamVersionKey or EventIdKey)
        {
            // Either another writer took this version, or this very batch was committed by an
            // earlier try whose answer was lost. Only the stored event ids can tell which.
            return await WasAlreadyAppended(streamId, expectedVersion, ids, cancellationToken)
                ? AppendResult.Appended
                : AppendResult.VersionConflict;
        }
    }

    private async Task<bool> WasAlreadyAppended(string streamId, int expectedVersion, Guid[] ids, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT event_id FROM session_events WHERE stream_id = $1 AND version > $2 ORDER BY version LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = expectedVersion });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = ids.Length });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        var i = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (i >= ids.Length || reader.GetGuid(0) != ids[i])
            {
                return false;
            }

            i++;
        }

        return i == ids.Length;
    }
}
