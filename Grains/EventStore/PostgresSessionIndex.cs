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

    // Served by the partial index sessions_open_by_expiry.
    public async Task<IReadOnlyList<string>> DueForExpiryAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT session_id FROM sessions
            WHERE status IN ('created', 'payment_initiated') AND expires_at <= $1
            ORDER BY expires_at
            LIMIT $2
            """);
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var due = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add(reader.GetString(0));
        }

        return due;
    }
}
