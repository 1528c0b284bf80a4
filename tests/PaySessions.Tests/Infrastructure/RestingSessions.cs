using Npgsql;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// Sessions at rest: written to the database exactly as their grain writes them (the Created row,
/// the projection), through an event store of the test's own, so that no grain of theirs is active
/// in any silo, as after a restart. And what a session's rows look like, with its own ids taken
/// out, for comparing two sessions row for row.
/// </summary>
public static class RestingSessions
{
    /// <summary>
    /// A Created as the front door of <paramref name="dialect"/> writes it, with metadata for the
    /// webhook body (and, for the Xendit dialect, the facts its session object shows).
    /// </summary>
    public static Created Created(string businessId, DateTimeOffset at, TimeSpan expiresIn, SessionDialect dialect = SessionDialect.Payviox) =>
        TestSessions.CreatedEvent(businessId, "order_" + Guid.NewGuid().ToString("N")[..10], at) with
        {
            ExpiresAt = at + expiresIn,
            Description = "Premium subscription",
            Metadata = new Dictionary<string, string> { ["user_id"] = "usr_123", ["plan"] = "premium" },
            Dialect = dialect,
            Xendit = dialect == SessionDialect.Xendit
                ? new XenditSessionDetails
                {
                    Mode = IntegrationMode.PaymentLink,
                    Country = "PH",
                    Locale = "en",
                    AmountAsSent = 100.00m,
                    SuccessReturnUrl = "https://yourcompany.com/success",
                    MetadataSent = true,
                }
                : null,
        };

    /// <summary>Appends <paramref name="created"/> as the stream's first event, with its projection row.</summary>
    public static async Task Write(IEventStore store, string sessionId, Created created)
    {
        var state = new PaymentSessionState();
        state.Apply(created);
        Assert.Equal(AppendResult.Appended, await store.AppendAsync(sessionId, 0, [created], SessionProjection.Of(sessionId, state, 1)));
    }

    public static async Task<string[]> WriteMany(IEventStore store, int count, string businessId, DateTimeOffset at, TimeSpan expiresIn)
    {
        var ids = Enumerable.Range(0, count).Select(_ => TestSessions.NewId()).ToArray();
        await Task.WhenAll(ids.Select(id => Write(store, id, Created(businessId, at, expiresIn))));
        return ids;
    }

    /// <summary>
    /// Appends <paramref name="change"/> as the next event of a stream, with its projection row and
    /// merchant webhook built as the grain builds them: what a grain deciding it would write.
    /// </summary>
    public static async Task<AppendResult> Append(IEventStore store, string sessionId, PaymentSessionEvent change)
    {
        var stored = await store.ReadStreamAsync(sessionId);
        var state = new PaymentSessionState();
        foreach (var row in stored)
        {
            state.Apply(row.Event);
        }

        state.Apply(change);
        var version = stored.Count + 1;
        var webhook = SessionWebhooks.For(sessionId, state, change, version);
        return await store.AppendAsync(sessionId, stored.Count, [change], SessionProjection.Of(sessionId, state, version), webhook is null ? [] : [webhook]);
    }

    /// <summary>
    /// Every row a session has (events, projection, outbox), as text, with its session id, order id
    /// and event ids replaced by placeholders and the columns the database stamps itself (times of
    /// writing, delivery progress) left out.
    /// </summary>
    public static async Task<List<string>> Rows(string connectionString, string sessionId)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        var rows = new List<string>();
        var replacements = new List<(string From, string To)> { (sessionId, "<session>") };
        await using (var command = db.CreateCommand("SELECT order_id FROM sessions WHERE session_id = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
            replacements.Add(((string)(await command.ExecuteScalarAsync())!, "<order>"));
        }

        await using (var command = db.CreateCommand("SELECT event_id FROM session_events WHERE stream_id = $1 ORDER BY version"))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
            await using var reader = await command.ExecuteReaderAsync();
            var i = 0;
            while (await reader.ReadAsync())
            {
                var id = reader.GetGuid(0);
                replacements.Add((id.ToString("D"), $"<event{i}>"));
                replacements.Add((id.ToString("N"), $"<event{i}>"));
                i++;
            }
        }

        string Clean(string text) => replacements.Aggregate(text, (t, r) => t.Replace(r.From, r.To, StringComparison.Ordinal));

        async Task Read(string sql)
        {
            await using var command = db.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(Clean(reader.GetString(0)));
            }
        }

        await Read("SELECT concat_ws(' | ', 'event', stream_id, version, event_id, type, data::text, occurred_at) FROM session_events WHERE stream_id = $1 ORDER BY version");
        await Read("""
            SELECT concat_ws(' | ', 'projection', session_id, business_id, order_id, customer, status, amount, currency, created_at, expires_at, version, livemode, dialect, customer_id)
            FROM sessions WHERE session_id = $1
            """);
        await Read("""
            SELECT concat_ws(' | ', 'outbox', event_id, session_id, business_id, type, sequence, payload::text, sends_callback_token, subscription, signs_body)
            FROM webhook_deliveries WHERE session_id = $1 ORDER BY sequence
            """);
        return rows;
    }
}
