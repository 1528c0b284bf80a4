using Npgsql;
using PaySessions.Grains.Payments;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Payments;

/// <summary>
/// The provider-callback log on a database of its own: callbacks that name no session stay in a
/// ring of fixed size, and rejected callbacks aimed at one session stop at the cap while signed
/// ones are all kept, so nobody can grow the database by posting to <c>/webhooks/{provider}</c>.
/// </summary>
public sealed class ProviderCallbackLogTests : IAsyncLifetime
{
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.OpenAsync("provider_callback_log_tests");

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Callbacks_naming_no_session_are_kept_in_a_ring_that_never_grows_past_its_size()
    {
        var log = new PostgresProviderCallbackLog(_db);
        var at = DateTimeOffset.UtcNow;
        var extra = 5;

        for (var i = 0; i < PostgresProviderCallbackLog.UnmatchedSlots + extra; i++)
        {
            await log.RecordAsync(new ProviderCallback("sandbox", at.AddMilliseconds(i), null, $"sbx_ring_{i}", "payment.succeeded", null, ProviderCallback.Rejected, "unknown_reference"));
        }

        await using var count = _db.CreateCommand("SELECT count(*), count(*) FILTER (WHERE reference LIKE 'sbx_ring_%') FROM provider_callbacks_unmatched");
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(PostgresProviderCallbackLog.UnmatchedSlots, reader.GetInt64(0));
        Assert.Equal(PostgresProviderCallbackLog.UnmatchedSlots, reader.GetInt64(1));
        await reader.DisposeAsync();

        // The newest are kept; the oldest were overwritten.
        await using var newest = _db.CreateCommand("SELECT count(*) FROM provider_callbacks_unmatched WHERE reference = ANY($1)");
        newest.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. Enumerable.Range(PostgresProviderCallbackLog.UnmatchedSlots, extra).Select(i => $"sbx_ring_{i}")] });
        Assert.Equal((long)extra, await newest.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_session_keeps_every_signed_callback_but_only_a_bounded_number_of_rejected_ones()
    {
        var log = new PostgresProviderCallbackLog(_db);
        var session = "sess_cap_" + Guid.NewGuid().ToString("N");
        var at = DateTimeOffset.UtcNow;
        for (var i = 0; i < PostgresProviderCallbackLog.MaxRejectedPerSession + 10; i++)
        {
            await log.RecordAsync(new ProviderCallback("sandbox", at, session, "sbx_cap", null, null, ProviderCallback.Rejected, "bad_signature"));
        }

        await log.RecordAsync(new ProviderCallback("sandbox", at, session, "sbx_cap", "payment.succeeded", "pay_1", ProviderCallback.Accepted, "completed"));
        await log.RecordAsync(new ProviderCallback("sandbox", at, session, "sbx_cap", "payment.succeeded", "pay_1", ProviderCallback.Duplicate, null));

        var records = await log.ListForSessionAsync(session);
        Assert.Equal(PostgresProviderCallbackLog.MaxRejectedPerSession, records.Count(r => r.Outcome == ProviderCallback.Rejected));
        Assert.Equal(["accepted", "duplicate"], records.Where(r => r.Outcome != ProviderCallback.Rejected).Select(r => r.Outcome));
    }
}
