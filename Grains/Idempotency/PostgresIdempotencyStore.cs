using Npgsql;
using NpgsqlTypes;

namespace PaySessions.Grains.Idempotency;

/// <summary>The <c>idempotency_keys</c> table (deploy/sql/0018_idempotency_keys.sql).</summary>
public sealed class PostgresIdempotencyStore(NpgsqlDataSource dataSource) : IIdempotencyStore
{
    // A row that a concurrent claim committed after this statement's snapshot is invisible to its
    // SELECT (the insert did nothing, the select found nothing); the next statement sees it.
    private const int MaxRounds = 3;

    private const string Columns = "fingerprint, claim, expires_at, locked_until, status_code, content_type, location, body";

    public async Task<IdempotencyRecord> ClaimAsync(IdempotencyScope scope, IdempotencyRecord candidate, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        for (var round = 0; round < MaxRounds; round++)
        {
            // The upsert takes the row over only when it no longer counts: expired (the key is
            // free again), or in progress past its lock with the same fingerprint (its request's
            // node died; another request must not inherit a claim that may have had an effect).
            await using var command = dataSource.CreateCommand(
                $"""
                WITH claimed AS (
                    INSERT INTO idempotency_keys AS k
                        (business_id, livemode, idempotency_key, fingerprint, claim, created_at, expires_at, locked_until)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    ON CONFLICT (business_id, livemode, idempotency_key) DO UPDATE SET
                        fingerprint = EXCLUDED.fingerprint, claim = EXCLUDED.claim, created_at = EXCLUDED.created_at,
                        expires_at = EXCLUDED.expires_at, locked_until = EXCLUDED.locked_until,
                        status_code = NULL, content_type = NULL, location = NULL, body = NULL, completed_at = NULL
                    WHERE k.expires_at <= $6
                       OR (k.status_code IS NULL AND k.locked_until <= $6 AND k.fingerprint = EXCLUDED.fingerprint)
                    RETURNING {Columns})
                SELECT {Columns} FROM claimed
                UNION ALL
                SELECT {Columns} FROM idempotency_keys
                WHERE business_id = $1 AND livemode = $2 AND idempotency_key = $3 AND NOT EXISTS (SELECT 1 FROM claimed)
                """);
            AddScope(command, scope);
            command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = candidate.Fingerprint });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = candidate.Claim });
            command.Parameters.Add(Time(now));
            command.Parameters.Add(Time(candidate.ExpiresAt));
            command.Parameters.Add(Time(candidate.LockedUntil ?? throw new ArgumentException("A claim is in progress: it has a lock.", nameof(candidate))));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                return Read(reader);
            }
        }

        throw new InvalidOperationException("An idempotency key could be neither claimed nor read.");
    }

    public async Task<bool> CompleteAsync(IdempotencyScope scope, Guid claim, IdempotentAnswer answer, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE idempotency_keys
            SET status_code = $5, content_type = $6, location = $7, body = $8, completed_at = $9, locked_until = NULL
            WHERE business_id = $1 AND livemode = $2 AND idempotency_key = $3 AND claim = $4 AND status_code IS NULL
            """);
        AddScope(command, scope);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = claim });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = answer.Status });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)answer.ContentType ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)answer.Location ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = answer.Body });
        command.Parameters.Add(Time(now));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task ReleaseAsync(IdempotencyScope scope, Guid claim, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "DELETE FROM idempotency_keys WHERE business_id = $1 AND livemode = $2 AND idempotency_key = $3 AND claim = $4 AND status_code IS NULL");
        AddScope(command, scope);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = claim });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> PurgeExpiredAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        // SKIP LOCKED: a row a claim is replacing right now is that claim's business, and nodes
        // purging at once take different rows.
        await using var command = dataSource.CreateCommand(
            """
            DELETE FROM idempotency_keys WHERE ctid IN (
                SELECT ctid FROM idempotency_keys WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            AND expires_at <= $1
            """);
        command.Parameters.Add(Time(now));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddScope(NpgsqlCommand command, IdempotencyScope scope)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = scope.BusinessId });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = scope.Livemode });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = scope.Key });
    }

    private static NpgsqlParameter<DateTime> Time(DateTimeOffset time) =>
        new() { TypedValue = time.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    private static IdempotencyRecord Read(NpgsqlDataReader reader)
    {
        static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));

        var answer = reader.IsDBNull(4)
            ? null
            : new IdempotentAnswer(
                reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetFieldValue<byte[]>(7));
        return new IdempotencyRecord(
            reader.GetFieldValue<byte[]>(0),
            reader.GetGuid(1),
            Utc(reader.GetFieldValue<DateTime>(2)),
            reader.IsDBNull(3) ? null : Utc(reader.GetFieldValue<DateTime>(3)),
            answer);
    }
}
