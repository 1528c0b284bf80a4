using System.Net;
using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Webhooks;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// The merchant-webhook retry schedule on a real host, sped up through settings: the listed waits
/// (Payviox's 30 s, 5 min, 30 min in production; fractions of a second here) exactly, then each
/// wait doubling up to MaxRetryDelay, and after GiveUpAfter the delivery is marked failed and no
/// longer tried. Only lower bounds on the spacing are asserted: a busy machine may send late,
/// never early. The schedule itself is a pure function, checked in <c>WebhookRetryScheduleProperties</c>.
/// </summary>
public sealed class WebhookRetryScheduleTests : IAsyncLifetime
{
    private static readonly List<TimeSpan> Listed = [TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(400)];

    private static readonly WebhookOptions Schedule = new()
    {
        RetryDelays = Listed,
        MaxRetryDelay = TimeSpan.FromMilliseconds(1500),
        GiveUpAfter = TimeSpan.FromSeconds(8),
    };

    private readonly ApiFixture _api = new();

    public Task InitializeAsync() => _api.InitializeWith(new Dictionary<string, string?>
    {
        ["PaySessions:Webhooks:PollInterval"] = "00:00:00.050",
        ["PaySessions:Webhooks:RetryDelays:0"] = Listed[0].ToString(),
        ["PaySessions:Webhooks:RetryDelays:1"] = Listed[1].ToString(),
        ["PaySessions:Webhooks:RetryDelays:2"] = Listed[2].ToString(),
        ["PaySessions:Webhooks:MaxRetryDelay"] = Schedule.MaxRetryDelay.ToString(),
        ["PaySessions:Webhooks:GiveUpAfter"] = Schedule.GiveUpAfter.ToString(),
    });

    public Task DisposeAsync() => _api.DisposeAsync();

    [Fact]
    public async Task A_receiver_that_always_fails_is_retried_on_the_listed_waits_then_doubling_then_given_up_and_marked_failed()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: int.MaxValue);
        var keys = await _api.NewBusiness("Failing Shop");
        await _api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).ReceiveWebhooks(receiver.Url, "session.canceled");
        var created = await _api.Post("/session", keys.SecretKey, Bodies.SeedExample().ToJsonString());
        var id = (await Bodies.Json(created))["session_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await _api.Post($"/session/{id}/cancel", keys.SecretKey, "")).StatusCode);

        var delivery = await Eventually.Read(() => Delivery(id), d => d?.Status == "failed", TimeSpan.FromSeconds(60));

        Assert.NotNull(delivery);
        Assert.Equal("failed", delivery.Status);
        var attempts = await AttemptTimes(delivery.EventId);
        Assert.Equal(delivery.Attempts, attempts.Count);
        Assert.Equal(attempts.Count, receiver.Deliveries.Count);
        Assert.All(receiver.Deliveries, d => Assert.Equal(500, d.AnsweredWith));

        // Wait n after failure n is at least the schedule's: the listed ones, then doubling to the
        // cap (this delivery's spread added). At this speed more attempts fit than are listed, so
        // the listed waits, the doubling and the cap are all seen.
        var spread = WebhookRetrySchedule.SpreadOf(delivery.EventId);
        Assert.True(attempts.Count >= 6, $"{attempts.Count} attempts");
        var precision = TimeSpan.FromMilliseconds(1);
        for (var n = 1; n < attempts.Count; n++)
        {
            var wait = attempts[n] - attempts[n - 1];
            var scheduled = WebhookRetrySchedule.DelayAfter(n, Schedule, spread);
            Assert.True(wait + precision >= scheduled, $"wait {n} was {wait.TotalMilliseconds} ms, the schedule says {scheduled.TotalMilliseconds} ms");
        }

        // Given up only when the next retry would fall after GiveUpAfter, not before.
        var next = attempts[^1] + WebhookRetrySchedule.DelayAfter(attempts.Count, Schedule, spread);
        Assert.True(next + precision > delivery.CreatedAt + Schedule.GiveUpAfter, $"last attempt {attempts[^1]:O}, created {delivery.CreatedAt:O}");
    }

    private sealed record DeliveryRow(Guid EventId, string Status, int Attempts, DateTimeOffset CreatedAt);

    private async Task<DeliveryRow?> Delivery(string sessionId)
    {
        await using var db = NpgsqlDataSource.Create(_api.Host.ConnectionString);
        await using var command = db.CreateCommand(
            "SELECT event_id, status, attempts, created_at FROM webhook_deliveries WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync()
            ? new DeliveryRow(reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3))
            : null;
    }

    private async Task<List<DateTimeOffset>> AttemptTimes(Guid eventId)
    {
        await using var db = NpgsqlDataSource.Create(_api.Host.ConnectionString);
        await using var command = db.CreateCommand("SELECT attempted_at FROM webhook_attempts WHERE event_id = $1 ORDER BY attempt");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = eventId });
        await using var reader = await command.ExecuteReaderAsync();
        var times = new List<DateTimeOffset>();
        while (await reader.ReadAsync())
        {
            times.Add(reader.GetFieldValue<DateTimeOffset>(0));
        }

        return times;
    }
}
