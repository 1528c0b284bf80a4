using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.EventSourcing;
using Orleans.Providers;
using Orleans.TestingHost;
using PaySessions.Grains;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// A create on a new id costs one append and no read; an id or order id that is taken is still
/// refused with the same answers, because the database's constraints decide, not a prior read.
/// Counts come from the real event store the silo uses (<see cref="CountingEventStore"/>).
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class LeanCreateTests(SessionClusterFixture fixture)
{
    [Fact]
    public async Task A_create_on_a_new_id_reads_no_stream_and_does_not_read_back_what_it_wrote()
    {
        var id = TestSessions.NewId();
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);

        var result = await grain.Create(TestSessions.Command(TestSessions.NewBusiness(), "order_lean"));

        Assert.True(result.IsCreated);
        Assert.Equal(1, result.Session!.Version);
        Assert.Equal(0, CountingEventStore.Reads(id));
        Assert.Equal(1, CountingEventStore.Appends(id));

        // The activation holds what it wrote: reads answer from memory, still without a query.
        var snapshot = await grain.GetSnapshot();
        Assert.Equivalent(result.Session, snapshot, strict: true);
        var created = Assert.Single(await grain.GetEvents());
        Assert.Equal("Created", created.Type);
        Assert.Equal(0, CountingEventStore.Reads(id));
    }

    [Fact]
    public async Task Any_other_first_call_reads_the_stream_before_it_answers()
    {
        var id = TestSessions.NewId();
        var business = TestSessions.NewBusiness();
        await AppendCreatedBehindTheGrainsBack(id, business, "order_stored");

        var snapshot = await fixture.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot();

        Assert.NotNull(snapshot);
        Assert.Equal("order_stored", snapshot.OrderId);
        Assert.Equal(1, CountingEventStore.Reads(id));
    }

    [Fact]
    public async Task A_create_on_an_id_already_stored_is_refused_as_existing_and_writes_nothing()
    {
        var id = TestSessions.NewId();
        var business = TestSessions.NewBusiness();
        await AppendCreatedBehindTheGrainsBack(id, business, "order_first");
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);

        var again = await grain.Create(TestSessions.Command(TestSessions.NewBusiness(), "order_second"));

        Assert.Equal(CreateSessionRejection.SessionExists, again.Rejection);
        Assert.Equal(1, await CountEvents(id));
        Assert.Equal("order_first", (await grain.GetSnapshot())!.OrderId);
    }

    [Fact]
    public async Task A_create_repeating_a_stored_id_and_its_order_id_is_refused_as_existing_not_as_a_duplicate_order()
    {
        var id = TestSessions.NewId();
        var business = TestSessions.NewBusiness();
        await AppendCreatedBehindTheGrainsBack(id, business, "order_same");

        var again = await fixture.Grains.GetGrain<IPaymentSessionGrain>(id).Create(TestSessions.Command(business, "order_same"));

        Assert.Equal(CreateSessionRejection.SessionExists, again.Rejection);
        Assert.Equal(1, await CountEvents(id));
    }

    [Fact]
    public async Task An_invalid_create_on_an_id_already_stored_is_refused_as_existing_as_before()
    {
        var id = TestSessions.NewId();
        await AppendCreatedBehindTheGrainsBack(id, TestSessions.NewBusiness(), "order_kept");
        var invalid = TestSessions.Command(TestSessions.NewBusiness()) with { Amount = 1 };

        var again = await fixture.Grains.GetGrain<IPaymentSessionGrain>(id).Create(invalid);

        Assert.Equal(CreateSessionRejection.SessionExists, again.Rejection);
        Assert.Equal(1, await CountEvents(id));
    }

    [Fact]
    public async Task A_create_with_a_taken_order_id_on_a_new_id_is_refused_as_a_duplicate_order_and_writes_nothing()
    {
        var business = TestSessions.NewBusiness();
        await AppendCreatedBehindTheGrainsBack(TestSessions.NewId(), business, "order_taken_lean");
        var id = TestSessions.NewId();
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);

        var refused = await grain.Create(TestSessions.Command(business, "order_taken_lean"));

        Assert.Equal(CreateSessionRejection.DuplicateOrderId, refused.Rejection);
        Assert.Equal(0, await CountEvents(id));
        Assert.Null(await grain.GetSnapshot());

        // The same activation can still create the session with an order id of its own.
        var created = await grain.Create(TestSessions.Command(business, "order_free_lean"));
        Assert.True(created.IsCreated);
        Assert.Equal(1, await CountEvents(id));
    }

    [Fact]
    public void The_session_grain_names_no_provider_and_the_silos_default_log_consistency_provider_is_the_session_event_store()
    {
        // Orleans reads [LogConsistencyProvider] on every activation, and building it cost a dynamic
        // method per new session (see PaymentSessionGrain): the grain takes the unkeyed default instead.
        Assert.Empty(typeof(PaymentSessionGrain).GetCustomAttributes(typeof(LogConsistencyProviderAttribute), inherit: true));

        var silo = Assert.IsType<InProcessSiloHandle>(fixture.Cluster.Primary).SiloHost.Services;
        Assert.Same(
            silo.GetRequiredKeyedService<ILogViewAdaptorFactory>(StorageNames.SessionEvents),
            silo.GetRequiredService<ILogViewAdaptorFactory>());
    }

    // Writes a Created straight through the silo's own event store, so the id exists in the
    // database while no activation of its grain has seen it.
    private async Task AppendCreatedBehindTheGrainsBack(string id, string business, string orderId)
    {
        var silo = Assert.IsType<InProcessSiloHandle>(fixture.Cluster.Primary);
        var store = silo.SiloHost.Services.GetRequiredService<IEventStore>();
        var created = TestSessions.CreatedEvent(business, orderId, SessionClusterFixture.Clock.GetUtcNow());
        var projection = new SessionProjection(
            id, business, orderId, created.Customer, SessionStatus.Created.ToName(), created.Amount, created.Currency,
            created.OccurredAt, created.ExpiresAt, 1);
        Assert.Equal(AppendResult.Appended, await store.AppendAsync(id, 0, [created], projection));
    }

    private async Task<long> CountEvents(string id)
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var command = db.CreateCommand("SELECT count(*) FROM session_events WHERE stream_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
