using System.Text.Json;
using Npgsql;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// A Xendit-style Created keeps every fact that dialect gave, through the event store and a replay
/// from the stored rows, under a <c>ps-</c> session id; the grain refuses facts of one dialect on
/// the other and holds a SAVE session to amount 0.
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class XenditSessionFactsTests(SessionClusterFixture fixture)
{
    [Fact]
    public async Task A_xendit_created_round_trips_through_the_event_store_and_a_replay()
    {
        var sessionId = SessionIds.NewXendit();
        var details = PayDetails();
        var created = await fixture.Grains.GetGrain<IPaymentSessionGrain>(sessionId).Create(XenditCommand(SessionType.Pay, 1000000, details));
        Assert.True(created.IsCreated, created.Message);

        // The row as stored, read back as an event by today's code.
        var row = (await fixture.Grains.GetGrain<IPaymentSessionGrain>(sessionId).GetEvents())[0];
        var stored = (PaySessions.Grains.Sessions.Events.Created)EventTypes.Deserialize(row.Type, row.Data);

        // The same rows under another id, replayed by a grain that never saw the create.
        var replayedId = SessionIds.NewXendit();
        await CopyRows(sessionId, replayedId);
        var replayed = await fixture.Grains.GetGrain<IPaymentSessionGrain>(replayedId).GetSnapshot();

        Assert.Equal(Json(details), Json(created.Session!.Xendit));
        Assert.Equal(Json(details), Json(stored.Xendit));
        Assert.Equal(Json(details), Json(replayed!.Xendit));
        Assert.Equal(SessionDialect.Xendit, replayed.Dialect);
        Assert.Equal(created.Session.OrderId, replayed.OrderId);
        Assert.Contains("\"mode\":\"payment_link\"", row.Data, StringComparison.Ordinal);
        Assert.Contains("\"amount_as_sent\":10000.00", row.Data, StringComparison.Ordinal);
        Assert.Contains("\"type\":\"physical_product\"", row.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_save_session_has_amount_zero_and_keeps_no_capture_method()
    {
        var save = SaveDetails();
        var accepted = await fixture.Grains.GetGrain<IPaymentSessionGrain>(SessionIds.NewXendit()).Create(XenditCommand(SessionType.Save, 0, save));
        var refused = await fixture.Grains.GetGrain<IPaymentSessionGrain>(SessionIds.NewXendit()).Create(XenditCommand(SessionType.Save, 100, save));

        Assert.True(accepted.IsCreated, accepted.Message);
        Assert.Equal(SessionType.Save, accepted.Session!.SessionType);
        Assert.Null(accepted.Session.Xendit!.CaptureMethod);
        Assert.Equal(CreateSessionRejection.Invalid, refused.Rejection);
        Assert.Equal("A SAVE session's amount must be zero.", refused.Message);
    }

    [Fact]
    public async Task Facts_of_one_dialect_are_refused_on_the_other_and_nothing_is_written()
    {
        var withoutDetails = XenditCommand(SessionType.Pay, 1000000, PayDetails()) with { Xendit = null };
        var payvioxWithDetails = TestSessions.Command(SessionClusterFixture.Business) with { Xendit = PayDetails() };
        var first = SessionIds.NewXendit();
        var second = SessionIds.New();

        var a = await fixture.Grains.GetGrain<IPaymentSessionGrain>(first).Create(withoutDetails);
        var b = await fixture.Grains.GetGrain<IPaymentSessionGrain>(second).Create(payvioxWithDetails);

        Assert.Equal([CreateSessionRejection.Invalid, CreateSessionRejection.Invalid], new[] { a.Rejection, b.Rejection });
        Assert.Null(await fixture.Grains.GetGrain<IPaymentSessionGrain>(first).GetSnapshot());
        Assert.Null(await fixture.Grains.GetGrain<IPaymentSessionGrain>(second).GetSnapshot());
    }

    [Fact]
    public async Task A_payviox_session_has_no_xendit_facts_and_its_created_row_has_no_xendit_field()
    {
        var sessionId = SessionIds.New();
        var created = await fixture.Grains.GetGrain<IPaymentSessionGrain>(sessionId).Create(TestSessions.Command(SessionClusterFixture.Business));

        Assert.Null(created.Session!.Xendit);
        Assert.DoesNotContain("xendit", (await fixture.Grains.GetGrain<IPaymentSessionGrain>(sessionId).GetEvents())[0].Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_xendit_session_offers_and_accepts_only_its_allowed_channels()
    {
        var narrowed = SessionIds.NewXendit();
        var open = SessionIds.NewXendit();
        Assert.True((await fixture.Grains.GetGrain<IPaymentSessionGrain>(narrowed)
            .Create(XenditCommand(SessionType.Pay, 1000000, PayDetails() with { AllowedPaymentChannels = ["SANDBOX_WALLET"] }))).IsCreated);
        Assert.True((await fixture.Grains.GetGrain<IPaymentSessionGrain>(open)
            .Create(XenditCommand(SessionType.Pay, 1000000, PayDetails() with { AllowedPaymentChannels = [] }))).IsCreated);

        var offered = await fixture.Grains.GetGrain<IPaymentSessionGrain>(narrowed).GetPaymentMethods();
        var refused = await fixture.Grains.InitiatePayment(narrowed, new InitiatePayment("sandbox_card", null));

        Assert.Equal(["sandbox_wallet"], offered.Select(m => m.Id));
        Assert.Equal(InitiatePaymentOutcome.MethodNotAvailable, refused.Outcome);
        Assert.Equal(["sandbox_card", "sandbox_wallet"], (await fixture.Grains.GetGrain<IPaymentSessionGrain>(open).GetPaymentMethods()).Select(m => m.Id));
    }

    internal static XenditSessionDetails PayDetails() => new()
    {
        CustomerId = "cust-b98d6f63-d240-44ec-9bd5-aa42954c4f48",
        Mode = IntegrationMode.PaymentLink,
        CaptureMethod = CaptureMethod.Automatic,
        AllowSavePaymentMethod = SavePaymentMethod.Optional,
        Country = "PH",
        ChannelProperties = """{"cards":{"skip_three_ds":false}}""",
        AllowedPaymentChannels = ["SANDBOX_CARD", "SANDBOX_WALLET"],
        Locale = "en",
        SuccessReturnUrl = "https://yourcompany.com/success/example_item=my_item",
        CancelReturnUrl = "https://yourcompany.com/cancel/example_item=my_item",
        AmountAsSent = 10000.00m,
        MetadataSent = true,
        Items =
        [
            new XenditItem
            {
                ReferenceId = "item_001",
                Type = XenditItemType.PhysicalProduct,
                Name = "Clothes",
                NetUnitAmount = 5000m,
                Quantity = 1,
                Category = "CLOTHES",
                Description = "Red clothes",
                Url = "https://example.com/item",
                Currency = "PHP",
                Metadata = new Dictionary<string, string> { ["colour"] = "red" },
            },
            new XenditItem
            {
                ReferenceId = "item_002",
                Type = XenditItemType.PhysicalProduct,
                Name = "Pants",
                NetUnitAmount = 5000.5m,
                Quantity = 1,
                Category = "CLOTHES",
                Subcategory = "TROUSERS",
                ImageUrl = "http://example.com/pants.png",
            },
        ],
    };

    private static XenditSessionDetails SaveDetails() => new()
    {
        CustomerId = "cust-e2878b4c-d57e-4a2c-922d-c0313c2800a3",
        Mode = IntegrationMode.PaymentLink,
        Country = "ID",
        AmountAsSent = 0m,
    };

    private static CreateSession XenditCommand(SessionType type, long amount, XenditSessionDetails details) => new()
    {
        BusinessId = SessionClusterFixture.Business,
        OrderId = (type == SessionType.Pay ? "order_12345_PAY_" : "order_123456_SAVE_") + Guid.NewGuid().ToString("N")[..8],
        Customer = details.CustomerId!,
        Amount = amount,
        Currency = type == SessionType.Pay ? "PHP" : "IDR",
        Items = [],
        Description = "Sample one-time payment using Payment Session",
        Dialect = SessionDialect.Xendit,
        SessionType = type,
        Xendit = details,
    };

    private static string Json(XenditSessionDetails? details) => JsonSerializer.Serialize(details, EventTypes.Json);

    private async Task CopyRows(string from, string to)
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var command = db.CreateCommand(
            """
            INSERT INTO session_events (stream_id, version, event_id, type, data, occurred_at)
            SELECT $2, version, gen_random_uuid(), type, data, occurred_at FROM session_events WHERE stream_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = from });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = to });
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
