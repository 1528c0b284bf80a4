using System.Net;
using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// The merchant-webhook retry schedule, sped up through settings: the first retry after
/// FirstRetryDelay, each wait doubling up to MaxRetryDelay (±10% jitter), and after GiveUpAfter
/// the delivery is marked failed and no longer tried. Only lower bounds on the spacing are
/// asserted: a busy machine may send late, never early.
/// </summary>
public sealed class WebhookRetryScheduleTests : IAsyncLifetime
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(10);

    private readonly ApiFixture _api = new();

    public Task InitializeAsync() => _api.InitializeWith(new Dictionary<string, string?>
    {
        ["PaySessions:Webhooks:PollInterval"] = "00:00:00.050",
        ["PaySessions:Webhooks:FirstRetryDelay"] = FirstRetryDelay.ToString(),
        ["PaySessions:Webhooks:MaxRetryDelay"] = MaxRetryDelay.ToString(),
        ["PaySessions:Webhooks:GiveUpAfter"] = GiveUpAfter.ToString(),
    });

    public Task DisposeAsync() => _api.DisposeAsync();

    [Fact]
    public async Task A_receiver_that_always_fails_is_retried_with_doubling_waits_then_given_up_and_marked_failed()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: int.MaxValue);
        var keys = await _api.NewBusiness("Failing Shop");
        var configured = await _api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).ConfigureWebhook(receiver.Url);
        Assert.True(configured.Accepted, configured.Error);
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

        // The shape of the schedule: wait n after failure n is at least 90% of
        // min(FirstRetryDelay × 2^(n-1), MaxRetryDelay). At this speed that leaves room for at least
        // four attempts before giving up, so the doubling and the cap are both seen.
        Assert.True(attempts.Count >= 4, $"{attempts.Count} attempts");
        for (var n = 1; n < attempts.Count; n++)
        {
            var wait = attempts[n] - attempts[n - 1];
            var scheduled = TimeSpan.FromTicks(Math.Min(FirstRetryDelay.Ticks << (n - 1), MaxRetryDelay.Ticks));
            Assert.True(wait >= scheduled * 0.9, $"wait {n} was {wait.TotalMilliseconds} ms, the schedule says {scheduled.TotalMilliseconds} ms");
        }

        // Given up only when the next retry would fall after GiveUpAfter, not before.
        Assert.True(attempts[^1] + (MaxRetryDelay * 1.1) > delivery.CreatedAt + GiveUpAfter, $"last attempt {attempts[^1]:O}, created {delivery.CreatedAt:O}");
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
