using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.EventStore;

/// <summary>
/// Rows written by earlier versions must always replay. The fixture holds stored rows; renaming
/// an event type, a field or an enum value makes these tests fail instead of silently orphaning data.
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class StoredEventReplayTests(SessionClusterFixture fixture)
{
    private static readonly JsonNode Fixture =
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "EventStore", "Fixtures", "stored-events.json")))!;

    public static TheoryData<int> StreamIndexes => [.. Enumerable.Range(0, Fixture["streams"]!.AsArray().Count)];

    [Fact]
    public void The_fixture_covers_every_stored_event_name_and_no_other()
    {
        var inFixture = Rows().Select(row => row.Type).ToHashSet();

        Assert.Equal(
            ["Canceled", "Completed", "Created", "Expired", "LatePaymentAccepted", "LatePaymentReceived", "LatePaymentRefundFailed", "LatePaymentRefunded",
             "PaymentFailed", "PaymentInitiated", "PaymentMismatch"],
            inFixture.Order(StringComparer.Ordinal));
        Assert.Equal(inFixture.Order(StringComparer.Ordinal), EventTypes.Names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_stored_row_reads_back_and_writes_the_same_fields()
    {
        foreach (var (type, data) in Rows())
        {
            var @event = EventTypes.Deserialize(type, data.ToJsonString());

            Assert.Equal(type, EventTypes.NameOf(@event));
            Assert.True(
                JsonNode.DeepEquals(data, JsonNode.Parse(EventTypes.Serialize(@event))),
                $"{type} no longer round-trips: {EventTypes.Serialize(@event)}");
        }
    }

    [Theory]
    [MemberData(nameof(StreamIndexes))]
    public async Task A_session_grain_replays_stored_rows_into_the_expected_state(int index)
    {
        var stream = Fixture["streams"]![index]!;
        var sessionId = TestSessions.NewId();
        var events = stream["events"]!.AsArray();
        await InsertRows(sessionId, events);

        var snapshot = await fixture.Grains.GetGrain<IPaymentSessionGrain>(sessionId).GetSnapshot();
        var log = await fixture.Grains.GetGrain<IPaymentSessionGrain>(sessionId).GetEvents();

        Assert.NotNull(snapshot);
        Assert.Equal(Enum.Parse<SessionStatus>(stream["expected_status"]!.GetValue<string>()), snapshot.Status);
        Assert.Equal(events.Count, snapshot.Version);
        Assert.Equal(events[0]!["data"]!["order_id"]!.GetValue<string>(), snapshot.OrderId);

        // Rows from before modes were recorded carry no livemode: they read as test.
        Assert.Equal(stream["expected_livemode"]?.GetValue<bool>() ?? false, snapshot.Livemode);
        Assert.Equal(events.Select(e => e!["type"]!.GetValue<string>()), log.Select(e => e.Type));
        Assert.Equal(stream["expected_refund_required"]?.GetValue<bool>() ?? false, snapshot.RefundRequired);
        Assert.Equal(stream["expected_late_payments"]?.GetValue<int>() ?? events.Count(e => e!["type"]!.GetValue<string>() == "LatePaymentReceived"), snapshot.LatePayments.Count);
        Assert.Equal(stream["expected_payment_mismatches"]?.GetValue<int>() ?? 0, snapshot.PaymentMismatches.Count);

        // Late payments by policy: the policy's handling and the refund's status come from the rows
        // alone (never from today's setting); rows from before policies, and mismatches, wait for an operator.
        Assert.Equal(stream["expected_manual_review"]?.GetValue<bool>() ?? false, snapshot.ManualReview);
        Assert.Equal(
            stream["expected_late_handling"] is { } handling ? Enum.Parse<LatePaymentPolicy>(handling.GetValue<string>()) : null,
            (snapshot.LatePayments.Count > 0 ? snapshot.LatePayments[0].Handling : null));
        Assert.Equal(
            stream["expected_refund_status"] is { } refund ? Enum.Parse<LateRefundStatus>(refund.GetValue<string>()) : null,
            (snapshot.LatePayments.Count > 0 ? snapshot.LatePayments[0].RefundStatus : null));

        // The Xendit dialect's completion facts: its own payment and payment request ids, or a saved token.
        Assert.Equal(stream["expected_payment_id"]?.GetValue<string>(), snapshot.Payment?.PaymentId);
        Assert.Equal(stream["expected_payment_request_id"]?.GetValue<string>(), snapshot.Payment?.PaymentRequestId);
        Assert.Equal(stream["expected_payment_token_id"]?.GetValue<string>(), snapshot.Payment?.PaymentTokenId);

        // The payment as GET /payment shows it: rows from before payer facts and provider details
        // were recorded read as none; the attempt that paid is the one whose payer is shown.
        var payment = await fixture.Grains.GetGrain<IPaymentSessionGrain>(sessionId).GetPaymentDetails();
        Assert.NotNull(payment);
        if (stream["expected_payment_status"] is { } status)
        {
            Assert.Equal(Enum.Parse<PaymentStatus>(status.GetValue<string>()), payment.Status);
        }

        Assert.Equal(stream["expected_payer_ip"]?.GetValue<string>(), payment.PayerIp);
        Assert.Equal(stream["expected_payer_user_agent"]?.GetValue<string>(), payment.PayerUserAgent);
        Assert.Equal(stream["expected_card_last4"]?.GetValue<string>(), payment.PaymentDetails?.Card?.Last4);
        Assert.Equal(stream["expected_customer_email"]?.GetValue<string>(), payment.CustomerDetails?.Email);

        // Late payments stored before reports carried figures still show what the attempt asked:
        // the session's own amount and currency.
        foreach (var late in snapshot.LatePayments)
        {
            Assert.Equal(snapshot.Amount, late.ExpectedAmount);
            Assert.Equal(snapshot.Currency, late.ExpectedCurrency);
        }
    }

    private static IEnumerable<(string Type, JsonNode Data)> Rows() =>
        Fixture["streams"]!.AsArray()
            .SelectMany(stream => stream!["events"]!.AsArray())
            .Select(row => (row!["type"]!.GetValue<string>(), row["data"]!));

    // Rows go in as a database written by an earlier release holds them: straight SQL, no code of today.
    private async Task InsertRows(string sessionId, JsonArray events)
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        foreach (var row in events)
        {
            var data = row!["data"]!;
            await using var command = db.CreateCommand(
                "INSERT INTO session_events (stream_id, version, event_id, type, data, occurred_at) VALUES ($1, $2, $3, $4, $5::json, $6)");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = row["version"]!.GetValue<int>() });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.NewGuid() });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row["type"]!.GetValue<string>() });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = data.ToJsonString() });
            command.Parameters.Add(new NpgsqlParameter<DateTime>
            {
                TypedValue = DateTimeOffset.Parse(data["occurred_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).UtcDateTime,
                NpgsqlDbType = NpgsqlDbType.TimestampTz,
            });
            await command.ExecuteNonQueryAsync();
        }
    }
}
