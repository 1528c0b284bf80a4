using System.Data;
using Npgsql;
using PaySessions.Grains.Sessions;
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

    public async Task<SessionListPage> ListAsync(SessionListQuery query, CancellationToken cancellationToken = default)
    {
        var limit = Math.Clamp(query.Limit, 1, SessionListing.MaxLimit);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One snapshot for the cursor, the page and its events: a session that moves on meanwhile
        // is shown as the page's row saw it, never with a row of one moment and events of another.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);

        SessionListingSql.Key? after = null;
        if (query.Cursor is { } cursor)
        {
            await using var lookup = new NpgsqlCommand(SessionListingSql.CursorSql, connection, transaction);
            lookup.Parameters.Add(new NpgsqlParameter<string> { TypedValue = cursor.SessionId });
            lookup.Parameters.Add(new NpgsqlParameter<string> { TypedValue = query.Scope.BusinessId });
            lookup.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = query.Scope.Livemode });
            lookup.Parameters.Add(new NpgsqlParameter<string> { TypedValue = PostgresEventStore.DialectName(query.Scope.Dialect) });
            if (await lookup.ExecuteScalarAsync(cancellationToken) is not DateTime created)
            {
                return new SessionListPage([], HasMore: false, CursorFound: false);
            }

            after = new SessionListingSql.Key(new DateTimeOffset(created, TimeSpan.Zero), cursor.SessionId);
        }

        var ids = new List<string>(limit + 1);
        await using (var page = SessionListingSql.Page(query, after, limit + 1))
        {
            page.Connection = connection;
            page.Transaction = transaction;
            await using var reader = await page.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetString(0));
            }
        }

        var hasMore = ids.Count > limit;
        if (hasMore)
        {
            ids.RemoveAt(limit);
        }

        if (query.Cursor?.Direction == SessionCursorDirection.EndingBefore)
        {
            // Read oldest first from the cursor upwards; shown newest first like every page.
            ids.Reverse();
        }

        var states = new Dictionary<string, (PaymentSessionState State, int Version)>(ids.Count, StringComparer.Ordinal);
        if (ids.Count > 0)
        {
            await using var events = new NpgsqlCommand(SessionListingSql.EventsSql, connection, transaction);
            events.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. ids] });
            await using var reader = await events.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var streamId = reader.GetString(0);
                var folded = states.TryGetValue(streamId, out var known) ? known : (State: new PaymentSessionState(), Version: 0);
                folded.State.Apply(EventTypes.Deserialize(reader.GetString(1), reader.GetString(2)));
                states[streamId] = (folded.State, folded.Version + 1);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new SessionListPage([.. ids.Where(states.ContainsKey).Select(id => states[id].State.ToSnapshot(id, states[id].Version))], hasMore);
    }

    private static NpgsqlParameter<DateTime> Time(DateTimeOffset value) =>
        new() { TypedValue = value.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
