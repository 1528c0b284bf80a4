using Npgsql;

namespace PaySessions.Tests.Infrastructure;

/// <summary>How a session ended, read straight from the tables: its projected status, its event types and its webhook types, each in order.</summary>
public sealed record SessionEnding(string SessionId, string Status, string[] Events, string[] Webhooks)
{
    /// <summary>The endings of those of <paramref name="ids"/> that have a projection row.</summary>
    public static async Task<List<SessionEnding>> Read(string connectionString, string[] ids)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand("""
            SELECT s.session_id, s.status,
                   (SELECT array_agg(e.type ORDER BY e.version) FROM session_events e WHERE e.stream_id = s.session_id),
                   coalesce((SELECT array_agg(w.type ORDER BY w.sequence) FROM webhook_deliveries w WHERE w.session_id = s.session_id), '{}')
            FROM sessions s
            WHERE s.session_id = ANY($1)
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<SessionEnding>();
        while (await reader.ReadAsync())
        {
            rows.Add(new SessionEnding(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(2), reader.GetFieldValue<string[]>(3)));
        }

        return rows;
    }
}
