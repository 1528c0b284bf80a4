using Npgsql;
using Orleans.Runtime;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

[Collection(SessionClusterCollection.Name)]
public sealed class PaymentSessionGrainTests(SessionClusterFixture fixture)
{
    [Fact]
    public async Task Create_records_the_sessions_facts_and_answers_with_a_snapshot()
    {
        var id = TestSessions.NewId();
        var command = TestSessions.Command(TestSessions.NewBusiness());

        var result = await fixture.Grains.GetGrain<IPaymentSessionGrain>(id).Create(command);

        Assert.True(result.IsCreated);
        var session = result.Session!;
        Assert.Equal(id, session.SessionId);
        Assert.Equal(SessionStatus.Created, session.Status);
        Assert.Equal(1, session.Version);
        Assert.Equal(command.OrderId, session.OrderId);
        Assert.Equal(10000, session.Amount);
        Assert.Equal("203.0.113.42", session.ClientIp);
        Assert.Equal(session.CreatedAt + TimeSpan.FromHours(24), session.ExpiresAt);
        Assert.Equal("premium", session.Metadata["plan"]);
    }

    [Fact]
    public async Task The_event_log_shows_Created_with_its_data()
    {
        var id = TestSessions.NewId();
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);
        await grain.Create(TestSessions.Command(TestSessions.NewBusiness(), "order_log"));

        var created = Assert.Single(await grain.GetEvents());

        Assert.Equal(1, created.Version);
        Assert.Equal("Created", created.Type);
        Assert.Contains("\"order_id\":\"order_log\"", created.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_create_on_the_same_session_is_refused_and_appends_nothing()
    {
        var id = TestSessions.NewId();
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);
        await grain.Create(TestSessions.Command(TestSessions.NewBusiness()));

        var again = await grain.Create(TestSessions.Command(TestSessions.NewBusiness()));

        Assert.Equal(CreateSessionRejection.SessionExists, again.Rejection);
        Assert.Equal(1, await CountEvents(id));
    }

    [Fact]
    public async Task Concurrent_creates_for_one_order_id_give_exactly_one_session()
    {
        var business = TestSessions.NewBusiness();
        var ids = Enumerable.Range(0, 16).Select(_ => TestSessions.NewId()).ToArray();

        var results = await Task.WhenAll(ids.Select(id =>
            fixture.Grains.GetGrain<IPaymentSessionGrain>(id).Create(TestSessions.Command(business, "order_race"))));

        Assert.Single(results, r => r.IsCreated);
        Assert.Equal(15, results.Count(r => r.Rejection == CreateSessionRejection.DuplicateOrderId));
        Assert.Equal(1, await CountRows("SELECT count(*) FROM session_events WHERE stream_id = ANY($1)", ids));
        Assert.Equal(1, await CountRows("SELECT count(*) FROM sessions WHERE session_id = ANY($1)", ids));
    }

    [Fact]
    public async Task A_refused_session_can_still_be_read_as_missing()
    {
        var business = TestSessions.NewBusiness();
        await fixture.Grains.GetGrain<IPaymentSessionGrain>(TestSessions.NewId()).Create(TestSessions.Command(business, "order_taken"));
        var loser = fixture.Grains.GetGrain<IPaymentSessionGrain>(TestSessions.NewId());

        var refused = await loser.Create(TestSessions.Command(business, "order_taken"));

        Assert.Equal(CreateSessionRejection.DuplicateOrderId, refused.Rejection);
        Assert.Null(await loser.GetSnapshot());
        Assert.Empty(await loser.GetEvents());
    }

    [Theory]
    [InlineData(9999L, "USD")]
    [InlineData(10000L, "usd")]
    [InlineData(0L, "USD")]
    public async Task Money_that_does_not_add_up_is_refused_and_writes_nothing(long amount, string currency)
    {
        var id = TestSessions.NewId();
        var command = TestSessions.Command(TestSessions.NewBusiness()) with { Amount = amount, Currency = currency };

        var result = await fixture.Grains.GetGrain<IPaymentSessionGrain>(id).Create(command);

        Assert.Equal(CreateSessionRejection.Invalid, result.Rejection);
        Assert.Equal(0, await CountEvents(id));
    }

    [Fact]
    public async Task Items_whose_total_overflows_are_refused()
    {
        var id = TestSessions.NewId();
        var command = TestSessions.Command(TestSessions.NewBusiness()) with
        {
            Amount = 2,
            Items = [new LineItem("a", long.MaxValue, 2), new LineItem("b", 1, 1)],
        };

        var result = await fixture.Grains.GetGrain<IPaymentSessionGrain>(id).Create(command);

        Assert.Equal(CreateSessionRejection.Invalid, result.Rejection);
    }

    [Fact]
    public async Task A_deactivated_session_rebuilds_the_same_state_from_its_rows()
    {
        var id = TestSessions.NewId();
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);
        var created = (await grain.Create(TestSessions.Command(TestSessions.NewBusiness()))).Session!;
        var log = await grain.GetEvents();

        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        var reread = await grain.GetSnapshot();
        Assert.NotNull(reread);
        Assert.Equivalent(created, reread, strict: true);
        Assert.Equivalent(log, await grain.GetEvents(), strict: true);
    }

    [Fact]
    public async Task An_unknown_session_has_no_snapshot_and_no_events()
    {
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(TestSessions.NewId());

        Assert.Null(await grain.GetSnapshot());
        Assert.Empty(await grain.GetEvents());
    }

    private Task<long> CountEvents(string id) => CountRows("SELECT count(*) FROM session_events WHERE stream_id = ANY($1)", [id]);

    private async Task<long> CountRows(string sql, string[] ids)
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var command = db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
