using Npgsql;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions.Events;

namespace PaySessions.Tests.EventStore;

/// <summary>The projection rows the event-store tests write beside their events, and read back.</summary>
internal static class StoredRows
{
    public static SessionProjection Projection(string stream, Created created, string status, int version) => new(
        stream, created.BusinessId, created.OrderId, created.Customer, status, created.Amount, created.Currency,
        created.OccurredAt, created.ExpiresAt, version);

    public static async Task<(string Status, int Version)?> ProjectionOf(NpgsqlDataSource db, string stream)
    {
        await using var command = db.CreateCommand("SELECT status, version FROM sessions WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetString(0), reader.GetInt32(1)) : null;
    }
}
