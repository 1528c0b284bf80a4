using System.Text.Json.Nodes;
using Npgsql;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.EventStore;

/// <summary>
/// The listing's page statement, exactly as <see cref="SessionListingSql.Page"/> builds it, reads a
/// page with one scan of <c>sessions_listing</c> (or, with a customer or order filter, of the index
/// that ranges over that customer or order) in the page's order (no sort, no other scan), with
/// the scope, the creation window and the cursor's key in the index condition. Checked on the plan's
/// shape (EXPLAIN), never on timing, over a projection of 60,000 rows in 120 businesses whose
/// customers have more sessions than a page (so the planner weighs a real table, not a page of rows;
/// for a range smaller than a page it may rightly read that range with a bitmap and sort it). Also: 0017 back-fills customer_id from the
/// Created events and is safe to run again.
/// </summary>
public sealed class SessionListingPlanTests : IAsyncLifetime
{
    private const int Businesses = 120;
    private const string Business = "plan_biz_7";
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.OpenAsync("listing_plans_" + Guid.NewGuid().ToString("N")[..8]);
        await using var fill = _db.CreateCommand($"""
            INSERT INTO sessions (session_id, business_id, order_id, customer, customer_id, status, amount, currency,
                                  created_at, expires_at, version, livemode, dialect)
            SELECT CASE WHEN i % 2 = 0 THEN md5(i::text) ELSE 'ps-' || left(md5(i::text), 24) END,
                   'plan_biz_' || ((i / 2) % {Businesses}),
                   'order_' || i,
                   'customer_' || (i % 3),
                   CASE WHEN i % 2 = 1 THEN 'cust-00000000-0000-4000-8000-' || lpad((i % 5)::text, 12, '0') END,
                   (ARRAY['created', 'payment_initiated', 'completed', 'expired', 'canceled'])[1 + i % 5],
                   1000, 'USD',
                   timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute',
                   timestamptz '2026-01-02 00:00:00+00' + i * interval '1 minute',
                   1, i % 7 = 0, CASE WHEN i % 2 = 0 THEN 'payviox' ELSE 'xendit' END
            FROM generate_series(1, 60000) AS i
            """);
        await fill.ExecuteNonQueryAsync();
        await using var analyze = _db.CreateCommand("ANALYZE sessions");
        await analyze.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    public static TheoryData<string> Shapes() => [.. Queries.Keys];

    private static readonly SessionListingSql.Key Cursor = new(new DateTimeOffset(2026, 1, 20, 0, 0, 0, TimeSpan.Zero), "ps-000000000000000000000000");

    private static readonly Dictionary<string, (SessionListQuery Query, SessionListingSql.Key? After)> Queries = new()
    {
        ["first page"] = (Query(SessionDialect.Payviox, new()), null),
        ["first page, xendit, live"] = (Query(SessionDialect.Xendit, new(), live: true), null),
        ["status"] = (Query(SessionDialect.Payviox, new() { Statuses = [SessionStatus.Canceled] }), null),
        ["open statuses"] = (Query(SessionDialect.Xendit, new() { Statuses = [SessionStatus.Created, SessionStatus.PaymentInitiated] }), null),
        ["customer"] = (Query(SessionDialect.Payviox, new() { Customer = new("customer_3", IsCustomerId: false) }), null),
        ["customer id"] = (Query(SessionDialect.Xendit, new() { Customer = new("cust-00000000-0000-4000-8000-000000000005", IsCustomerId: true) }), null),
        ["order id"] = (Query(SessionDialect.Payviox, new() { OrderId = "order_14" }), null),
        ["reference id"] = (Query(SessionDialect.Xendit, new() { OrderId = "order_15" }), null),
        ["reference id and status, ending before"] = (Query(SessionDialect.Xendit, new() { OrderId = "order_15", Statuses = [SessionStatus.Expired] }, SessionCursorDirection.EndingBefore), Cursor),
        ["customer id, starting after"] = (Query(SessionDialect.Xendit, new() { Customer = new("cust-00000000-0000-4000-8000-000000000005", IsCustomerId: true) }, SessionCursorDirection.StartingAfter), Cursor),
        ["creation window"] = (Query(SessionDialect.Payviox, new() { Created = new(new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 30, 0, 0, 0, TimeSpan.Zero)) }), null),
        ["starting after"] = (Query(SessionDialect.Xendit, new(), SessionCursorDirection.StartingAfter), Cursor),
        ["ending before"] = (Query(SessionDialect.Xendit, new(), SessionCursorDirection.EndingBefore), Cursor),
        ["every filter and a cursor"] = (Query(
            SessionDialect.Payviox,
            new()
            {
                Statuses = [SessionStatus.Created, SessionStatus.Completed],
                Customer = new("customer_3", IsCustomerId: false),
                Created = new(new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero), null),
            },
            SessionCursorDirection.EndingBefore), Cursor),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task A_page_is_one_scan_of_the_listing_index_in_the_pages_order(string shape)
    {
        var (query, after) = Queries[shape];
        var plan = await Explain(query, after);

        var nodes = Nodes(plan).ToList();
        var scans = nodes.Where(n => n["Node Type"]!.GetValue<string>().Contains("Scan", StringComparison.Ordinal)).ToList();
        Assert.True(scans.Count == 1, plan.ToJsonString());
        var scan = scans[0];
        Assert.Equal("Limit", plan["Node Type"]!.GetValue<string>());
        Assert.Contains(scan["Node Type"]!.GetValue<string>(), new[] { "Index Scan", "Index Only Scan" });
        Assert.Equal(IndexFor(query.Filter), scan["Index Name"]!.GetValue<string>());
        Assert.DoesNotContain(nodes, n => n["Node Type"]!.GetValue<string>() is "Sort" or "Incremental Sort");
        // Newest first reads the DESC index forward; ending_before reads it backward from the cursor.
        var newer = query.Cursor?.Direction == SessionCursorDirection.EndingBefore;
        Assert.Equal(newer ? "Backward" : "Forward", scan["Scan Direction"]!.GetValue<string>());

        var condition = scan["Index Cond"]!.GetValue<string>();
        Assert.Contains("business_id", condition, StringComparison.Ordinal);
        Assert.Contains("dialect", condition, StringComparison.Ordinal);
        if (after is not null)
        {
            // The cursor is a seek in the index, not a filter over the rows before it.
            Assert.Contains("ROW(created_at, session_id)", condition, StringComparison.Ordinal);
        }

        if (query.Filter.Created is not null)
        {
            Assert.Contains("created_at >=", condition, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_script_back_fills_customer_id_from_the_Created_event_and_is_safe_to_run_again()
    {
        var sessionId = "ps-" + Guid.NewGuid().ToString("N")[..24];
        const string customerId = "cust-b98d6f63-d240-44ec-9bd5-aa42954c4f48";
        await using (var insert = _db.CreateCommand("""
            INSERT INTO session_events (stream_id, version, event_id, type, data, occurred_at)
            VALUES ($1, 1, gen_random_uuid(), 'Created', json_build_object('dialect', 'xendit', 'xendit', json_build_object('customer_id', $2::text)), now())
            """))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = customerId });
            await insert.ExecuteNonQueryAsync();
        }

        await using (var insert = _db.CreateCommand("""
            INSERT INTO sessions (session_id, business_id, order_id, customer, status, amount, currency, created_at, expires_at, version, livemode, dialect)
            VALUES ($1, 'plan_biz_backfill', 'ref_1', 'cref_1', 'created', 1000, 'PHP', now(), now() + interval '30 minutes', 1, false, 'xendit')
            """))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
            await insert.ExecuteNonQueryAsync();
        }

        await RunScript();
        await RunScript();

        await using var read = _db.CreateCommand("SELECT customer_id FROM sessions WHERE session_id = $1");
        read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
        Assert.Equal(customerId, await read.ExecuteScalarAsync());
    }

    /// <summary>The narrowest listing index for the filter: the customer's range, the order's, or the business's.</summary>
    private static string IndexFor(SessionListFilter filter) =>
        filter.Customer is not null ? "sessions_listing_by_customer" : filter.OrderId is not null ? "sessions_listing_by_order" : "sessions_listing";

    private async Task RunScript()
    {
        var assembly = typeof(PaySessions.Silo.Database.DatabaseMigrator).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith("0017_session_listing.sql", StringComparison.Ordinal));
        await using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        await using var command = _db.CreateCommand(await reader.ReadToEndAsync());
        await command.ExecuteNonQueryAsync();
    }

    private static SessionListQuery Query(SessionDialect dialect, SessionListFilter filter, SessionCursorDirection? direction = null, bool live = false) =>
        new(new SessionListScope(Business, live, dialect), filter, SessionListing.DefaultLimit, direction is { } d ? new SessionCursor(Cursor.SessionId, d) : null);

    private async Task<JsonObject> Explain(SessionListQuery query, SessionListingSql.Key? after)
    {
        await using var page = SessionListingSql.Page(query, after, query.Limit + 1);
        await using var connection = await _db.OpenConnectionAsync();
        page.Connection = connection;
        page.CommandText = "EXPLAIN (FORMAT JSON) " + page.CommandText;
        var json = (string)(await page.ExecuteScalarAsync())!;
        return JsonNode.Parse(json)!.AsArray()[0]!["Plan"]!.AsObject();
    }

    private static IEnumerable<JsonObject> Nodes(JsonObject node)
    {
        yield return node;
        foreach (var child in node["Plans"]?.AsArray() ?? [])
        {
            foreach (var descendant in Nodes(child!.AsObject()))
            {
                yield return descendant;
            }
        }
    }
}
