using Npgsql;
using NpgsqlTypes;

namespace PaySessions.Grains.Merchants;

/// <summary>The <c>businesses</c> table (deploy/sql/0005_businesses.sql, 0008_subaccounts_customers.sql).</summary>
public sealed class PostgresBusinessDirectory(NpgsqlDataSource dataSource) : IBusinessDirectory
{
    public async Task AddAsync(string businessId, DateTimeOffset registeredAt, string? parentBusinessId = null, CancellationToken cancellationToken = default)
    {
        // Register may run again for a listed business (the Development seed does on every start).
        await using var command = dataSource.CreateCommand(
            "INSERT INTO businesses (business_id, registered_at, parent_business_id) VALUES ($1, $2, $3) ON CONFLICT (business_id) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = registeredAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)parentBusinessId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> SubAccountsOfAsync(string parentBusinessId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT business_id FROM businesses WHERE parent_business_id = $1 ORDER BY registered_at, business_id");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = parentBusinessId });
        return await ReadIds(command, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT business_id FROM businesses ORDER BY registered_at, business_id");
        return await ReadIds(command, cancellationToken);
    }

    private static async Task<IReadOnlyList<string>> ReadIds(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
