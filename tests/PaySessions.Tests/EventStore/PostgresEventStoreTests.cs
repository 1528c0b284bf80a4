using Npgsql;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Tests.Infrastructure;
using static PaySessions.Tests.EventStore.StoredRows;

namespace PaySessions.Tests.EventStore;

public sealed class PostgresEventStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private NpgsqlDataSource _db = null!;
    private PostgresEventStore _store = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.OpenAsync("event_store_tests");
        // Disposed in DisposeAsync (xunit's IAsyncLifetime, which CA1001 does not know).
        _store = StoreOn(_db);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task Appended_events_read_back_in_order_with_their_stored_names()
    {
        var stream = TestSessions.NewId();
        var created = TestSessions.CreatedEvent(TestSessions.NewBusiness(), "order_1", Now);
        var expired = new Expired { EventId = Guid.NewGuid(), OccurredAt = Now.AddHours(24) };

        Assert.Equal(AppendResult.Appended, await _store.AppendAsync(stream, 0, [created], Projection(stream, created, "created", 1)));
        Assert.Equal(AppendResult.Appended, await _store.AppendAsync(stream, 1, [expired], Projection(stream, created, "expired", 2)));

        var events = await _store.ReadStreamAsync(stream);
        Assert.Equal([1, 2], events.Select(e => e.Version));
        Assert.Equal(["Created", "Expired"], events.Select(e => e.Type));
        Assert.Equal(EventTypes.Serialize(created), EventTypes.Serialize(events[0].Event));
        Assert.Equal(expired, events[1].Event);
        Assert.Equal(("expired", 2), await ProjectionOf(_db, stream));
    }

    [Fact]
    public async Task A_stale_expected_version_is_a_conflict_and_writes_nothing()
    {
        var stream = TestSessions.NewId();
        var created = TestSessions.CreatedEvent(TestSessions.NewBusiness(), "order_1", Now);
        await _store.AppendAsync(stream, 0, [created], Projection(stream, created, "created", 1));

        var canceled = new Canceled { EventId = Guid.NewGuid(), OccurredAt = Now };
        var result = await _store.AppendAsync(stream, 0, [canceled], Projection(stream, created, "canceled", 1));

        Assert.Equal(AppendResult.VersionConflict, result);
        Assert.Single(await _store.ReadStreamAsync(stream));
        Assert.Equal(("created", 1), await ProjectionOf(_db, stream));
    }

    [Fact]
    public async Task A_retried_batch_that_already_landed_is_acknowledged_and_stored_once()
    {
        var stream = TestSessions.NewId();
        var created = TestSessions.CreatedEvent(TestSessions.NewBusiness(), "order_1", Now);
        var projection = Projection(stream, created, "created", 1);

        Assert.Equal(AppendResult.Appended, await _store.AppendAsync(stream, 0, [created], projection));
        Assert.Equal(AppendResult.Appended, await _store.AppendAsync(stream, 0, [created], projection));

        Assert.Single(await _store.ReadStreamAsync(stream));
    }

    [Fact]
    public async Task A_second_session_for_the_same_order_is_refused_and_leaves_no_row_anywhere()
    {
        var business = TestSessions.NewBusiness();
        var first = TestSessions.NewId();
        var second = TestSessions.NewId();
        var a = TestSessions.CreatedEvent(business, "order_dup", Now);
        var b = TestSessions.CreatedEvent(business, "order_dup", Now);

        Assert.Equal(AppendResult.Appended, await _store.AppendAsync(first, 0, [a], Projection(first, a, "created", 1)));
        Assert.Equal(AppendResult.DuplicateOrderId, await _store.AppendAsync(second, 0, [b], Projection(second, b, "created", 1)));

        Assert.Empty(await _store.ReadStreamAsync(second));
        Assert.Null(await ProjectionOf(_db, second));
        Assert.Equal(0L, await Scalar<long>("SELECT count(*) FROM session_events WHERE event_id = $1", b.EventId));
    }

    [Fact]
    public async Task The_same_order_id_is_free_for_another_business()
    {
        var a = TestSessions.CreatedEvent(TestSessions.NewBusiness(), "order_shared", Now);
        var b = TestSessions.CreatedEvent(TestSessions.NewBusiness(), "order_shared", Now);
        var first = TestSessions.NewId();
        var second = TestSessions.NewId();

        Assert.Equal(AppendResult.Appended, await _store.AppendAsync(first, 0, [a], Projection(first, a, "created", 1)));
        Assert.Equal(AppendResult.Appended, await _store.AppendAsync(second, 0, [b], Projection(second, b, "created", 1)));
    }

    [Theory]
    [InlineData("UPDATE session_events SET type = 'Completed' WHERE stream_id = $1")]
    [InlineData("DELETE FROM session_events WHERE stream_id = $1")]
    public async Task Stored_events_can_never_be_changed_or_deleted(string sql)
    {
        var stream = TestSessions.NewId();
        var created = TestSessions.CreatedEvent(TestSessions.NewBusiness(), "order_1", Now);
        await _store.AppendAsync(stream, 0, [created], Projection(stream, created, "created", 1));

        await using var command = _db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
        Assert.Equal("Created", Assert.Single(await _store.ReadStreamAsync(stream)).Type);
    }

    [Theory]
    [InlineData("TRUNCATE session_events")]
    [InlineData("TRUNCATE session_events, sessions CASCADE")]
    public async Task Stored_events_can_never_be_truncated(string sql)
    {
        var stream = TestSessions.NewId();
        var created = TestSessions.CreatedEvent(TestSessions.NewBusiness(), "order_1", Now);
        await _store.AppendAsync(stream, 0, [created], Projection(stream, created, "created", 1));

        await using var command = _db.CreateCommand(sql);
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
        Assert.Equal("Created", Assert.Single(await _store.ReadStreamAsync(stream)).Type);
    }

    private static PostgresEventStore StoreOn(NpgsqlDataSource db) => new(db);

    private async Task<T> Scalar<T>(string sql, Guid parameter)
    {
        await using var command = _db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = parameter });
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
