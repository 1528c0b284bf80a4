using Npgsql;
using NpgsqlTypes;

namespace PaySessions.Grains.EventStore;

public sealed class PostgresSessionIndex(NpgsqlDataSource dataSource) : ISessionIndex
{
    public async Task<string?> FindByProviderReferenceAsync(string provider, string reference, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT session_id FROM provider_references WHERE provider = $1 AND reference = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = provider });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reference });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    // Served by the partial index sessions_open_by_expiry: the range from the cursor's expires_at
    // to now is the index condition, the row comparison only skips the cursor's own ties.
    public async Task<IReadOnlyList<DueSession>> DueForExpiryAsync(DateTimeOffset now, DueSession? after, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT session_id, expires_at FROM sessions
            WHERE status IN ('created', 'payment_initiated') AND expires_at <= $1
              AND expires_at >= $2 AND (expires_at, session_id) > ($2, $3)
            ORDER BY expires_at, session_id
            LIMIT $4
            """);
        command.Parameters.Add(Time(now));
        command.Parameters.Add(Time(after?.ExpiresAt ?? DateTimeOffset.MinValue));
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = after?.SessionId ?? "" });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var due = new List<DueSession>();
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add(new DueSession(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return due;
    }

    private static NpgsqlParameter<DateTime> Time(DateTimeOffset value) =>
        new() { TypedValue = value.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
