using Npgsql;
using NpgsqlTypes;

namespace PaySessions.Grains.Merchants;

/// <summary>The <c>businesses</c> table (deploy/sql/0005_businesses.sql).</summary>
public sealed class PostgresBusinessDirectory(NpgsqlDataSource dataSource) : IBusinessDirectory
{
    public async Task AddAsync(string businessId, DateTimeOffset registeredAt, CancellationToken cancellationToken = default)
    {
        // Register may run again for a listed business (the Development seed does on every start).
        await using var command = dataSource.CreateCommand(
            "INSERT INTO businesses (business_id, registered_at) VALUES ($1, $2) ON CONFLICT (business_id) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = registeredAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT business_id FROM businesses ORDER BY registered_at, business_id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
