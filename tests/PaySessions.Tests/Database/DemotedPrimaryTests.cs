using Microsoft.Extensions.Options;
using Npgsql;
using PaySessions.Grains.EventStore;
using PaySessions.Tests.Infrastructure;
using static PaySessions.Tests.EventStore.StoredRows;

namespace PaySessions.Tests.Database;

/// <summary>
/// After a failover the old primary may come back as a replica at the same address while the
/// service's pool still holds connections to it: a write there fails as a read-only transaction
/// (25006). The event store then drops its pool's connections and sends the batch again on a new
/// one, which reaches the primary of now. Here the database's sessions are made read-only while
/// one pooled connection is idle, and made writable again for new connections.
/// </summary>
public sealed class DemotedPrimaryTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task An_append_on_a_pooled_connection_to_a_server_now_read_only_is_sent_again_on_a_new_connection()
    {
        const string name = "demoted_primary_tests";
        await using var admin = await TestDatabase.OpenAsync(name);
        await using var adminConnection = await admin.OpenConnectionAsync();
        await using var db = await TestDatabase.OpenAsync(name);
        await using var store = new PostgresEventStore(db, Options.Create(new EventStoreOptions { Writers = 1, RetryWindow = TimeSpan.FromSeconds(30) }));

        // The pool's one connection opens while new sessions start read-only, and stays idle.
        await Execute(adminConnection, $"ALTER DATABASE {name} SET default_transaction_read_only = on");
        await using (var pooled = await db.OpenConnectionAsync())
        await using (var check = new NpgsqlCommand("SHOW default_transaction_read_only", pooled))
        {
            Assert.Equal("on", await check.ExecuteScalarAsync());
        }

        await Execute(adminConnection, $"ALTER DATABASE {name} RESET default_transaction_read_only");

        var stream = TestSessions.NewId();
        var created = TestSessions.CreatedEvent(TestSessions.NewBusiness(), "order_demoted", Now);
        var result = await store.AppendAsync(stream, 0, [created], Projection(stream, created, "created", 1));

        Assert.Equal(AppendResult.Appended, result);
        Assert.True(store.Retries >= 1);
        Assert.Single(await store.ReadStreamAsync(stream));
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
