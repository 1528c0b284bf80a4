using System.Text;
using Npgsql;
using NpgsqlTypes;
using PaySessions.Grains.Sessions;

namespace PaySessions.Grains.EventStore;

/// <summary>
/// The statement that reads one page of a merchant's sessions from the projection. It names only
/// the filters that are set (no <c>$n IS NULL OR …</c>), so PostgreSQL plans each shape for what it
/// is: one scan of <c>sessions_listing</c> (business, mode, dialect, created_at DESC, session_id
/// DESC), or of its twins that put the customer or the order id before created_at when that filter
/// is set, whose index condition holds the scope, the creation window and the cursor's key, read in
/// the page's direction and stopped by the limit. Public so the plan test explains the very
/// statement that runs.
/// </summary>
public static class SessionListingSql
{
    /// <summary>The key a page continues from: the cursor session's creation time and id.</summary>
    public readonly record struct Key(DateTimeOffset CreatedAt, string SessionId);

    public const string CursorSql = """
        SELECT created_at FROM sessions
        WHERE session_id = $1 AND business_id = $2 AND livemode = $3 AND dialect = $4
        """;

    public const string EventsSql = """
        SELECT stream_id, type, data::text
        FROM session_events
        WHERE stream_id = ANY($1)
        ORDER BY stream_id, version
        """;

    /// <summary>
    /// The page's session ids, in the order of the scan: newest first for a first page and for
    /// <c>starting_after</c>, oldest first for <c>ending_before</c> (the caller turns those round).
    /// One row more than <paramref name="rows"/> tells whether there are more.
    /// </summary>
    public static NpgsqlCommand Page(SessionListQuery query, Key? after, int rows)
    {
        var command = new NpgsqlCommand();
        var p = command.Parameters;
        var sql = new StringBuilder("SELECT session_id FROM sessions WHERE business_id = $1 AND livemode = $2 AND dialect = $3");
        p.Add(new NpgsqlParameter<string> { TypedValue = query.Scope.BusinessId });
        p.Add(new NpgsqlParameter<bool> { TypedValue = query.Scope.Livemode });
        p.Add(new NpgsqlParameter<string> { TypedValue = PostgresEventStore.DialectName(query.Scope.Dialect) });

        var filter = query.Filter;
        if (filter.Statuses.Count > 0)
        {
            p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. filter.Statuses.Distinct().Select(s => s.ToName())] });
            sql.Append($" AND status = ANY(${p.Count})");
        }

        if (filter.Customer is { } customer)
        {
            p.Add(new NpgsqlParameter<string> { TypedValue = customer.Value });
            // The expression of sessions_listing_by_customer, so the planner can seek it.
            sql.Append($" AND coalesce(customer_id, customer) = ${p.Count}");
            if (customer.IsCustomerId)
            {
                sql.Append($" AND customer_id = ${p.Count}");
            }
        }

        if (filter.OrderId is { } orderId)
        {
            p.Add(new NpgsqlParameter<string> { TypedValue = orderId });
            sql.Append($" AND order_id = ${p.Count}");
        }

        if (filter.ManualReview is { } manualReview)
        {
            p.Add(new NpgsqlParameter<bool> { TypedValue = manualReview });
            sql.Append($" AND manual_review = ${p.Count}");
        }

        if (filter.Created?.From is { } from)
        {
            p.Add(Time(from));
            sql.Append($" AND created_at >= ${p.Count}");
        }

        if (filter.Created?.To is { } to)
        {
            p.Add(Time(to));
            sql.Append($" AND created_at < ${p.Count}");
        }

        var newer = query.Cursor?.Direction == SessionCursorDirection.EndingBefore;
        if (after is { } key)
        {
            p.Add(Time(key.CreatedAt));
            p.Add(new NpgsqlParameter<string> { TypedValue = key.SessionId });
            sql.Append($" AND (created_at, session_id) {(newer ? ">" : "<")} (${p.Count - 1}, ${p.Count})");
        }

        sql.Append(newer ? " ORDER BY created_at, session_id" : " ORDER BY created_at DESC, session_id DESC");
        p.Add(new NpgsqlParameter<int> { TypedValue = rows });
        sql.Append($" LIMIT ${p.Count}");
        command.CommandText = sql.ToString();
        return command;
    }

    internal static NpgsqlParameter<DateTime> Time(DateTimeOffset value) =>
        new() { TypedValue = value.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
