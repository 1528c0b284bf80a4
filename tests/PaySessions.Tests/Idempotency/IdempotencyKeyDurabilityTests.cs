using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using PaySessions.Api.Http;
using PaySessions.Tests.Infrastructure;
using static PaySessions.Tests.Idempotency.IdempotencyProbe;

namespace PaySessions.Tests.Idempotency;

/// <summary>
/// Idempotency keys across hosts and time, on hosts of their own: a second node and a restarted
/// host answer from the table; answers that say "not now" give the key back; expired keys are
/// purged and free again; settings that could not be kept stop the start.
/// </summary>
public sealed class IdempotencyKeyDurabilityTests
{
    [Fact]
    public async Task A_second_node_and_a_restarted_host_answer_the_same_from_the_table()
    {
        var identity = ClusterIdentity.New();
        var key = NewKey();
        var order = "order_" + Guid.NewGuid().ToString("N");
        var body = PayvioxBody(order);
        Answer first;
        await using (var node = await TestHost.StartAsync(identity))
        {
            first = await Post(node.Http, "/session", Bearer(ApiFixture.DevSecretKey), body, key);
            Assert.Equal(HttpStatusCode.Created, first.Status);

            await using var second = await TestHost.StartAsync(identity);
            var fromSecond = await Post(second.Http, "/session", Bearer(ApiFixture.DevSecretKey), body, key);
            Assert.True(fromSecond.SameAs(first) && fromSecond.Replayed, $"{fromSecond} after {first}");
        }

        // Every node is gone, and with it every activation's memory: only the table remains.
        await using var restarted = await TestHost.StartAsync(identity);
        var afterRestart = await Post(restarted.Http, "/session", Bearer(ApiFixture.DevSecretKey), body, key);
        var otherBody = await Post(restarted.Http, "/session", Bearer(ApiFixture.DevSecretKey), PayvioxBody(order + "_other"), key);

        Assert.True(afterRestart.SameAs(first) && afterRestart.Replayed, $"{afterRestart} after {first}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherBody.Status);
        Assert.Equal(1, await SessionCount(restarted.ConnectionString, ApiFixture.DevBusiness, order));
    }

    [Fact]
    public async Task Answers_that_say_not_now_give_the_key_back_and_a_4xx_is_kept()
    {
        // A route of the test's own, on a group with idempotency keys: it answers what the test
        // queued, and counts how often it ran.
        var outcomes = new Queue<Func<IResult>>();
        var runs = 0;
        await using var host = await TestHost.StartAsync(map: app =>
            app.MapGroup("/idempotency-probe").RequireAuthorization().WithIdempotencyKeys()
                .MapPost("", () =>
                {
                    Interlocked.Increment(ref runs);
                    return outcomes.Dequeue()();
                }));
        var key = NewKey();
        outcomes.Enqueue(() => throw new InvalidOperationException("a fault of ours"));
        outcomes.Enqueue(() => TypedResults.StatusCode(StatusCodes.Status503ServiceUnavailable));
        outcomes.Enqueue(() => TypedResults.Json(new { error = "slow down" }, statusCode: StatusCodes.Status429TooManyRequests));
        outcomes.Enqueue(() => TypedResults.Json(new { error = "busy" }, statusCode: StatusCodes.Status409Conflict));
        outcomes.Enqueue(() => TypedResults.Created("/thing/1", new { id = 1 }));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await Post(host.Http, "/idempotency-probe", Bearer(ApiFixture.DevSecretKey), "{}", key)).Status);
        }

        var replay = await Post(host.Http, "/idempotency-probe", Bearer(ApiFixture.DevSecretKey), "{}", key);

        Assert.Equal(
            [HttpStatusCode.InternalServerError, HttpStatusCode.ServiceUnavailable, HttpStatusCode.TooManyRequests, HttpStatusCode.Conflict, HttpStatusCode.Created],
            statuses);
        Assert.Equal(HttpStatusCode.Created, replay.Status);
        Assert.True(replay.Replayed);
        Assert.Equal("/thing/1", replay.Location);
        Assert.Equal(5, runs);

        // A refusal of the request itself (4xx) is its answer for good.
        var refusedKey = NewKey();
        outcomes.Enqueue(() => TypedResults.Json(new { error = "no" }, statusCode: StatusCodes.Status400BadRequest));
        outcomes.Enqueue(() => TypedResults.Created("/thing/2", new { id = 2 }));
        var refused = await Post(host.Http, "/idempotency-probe", Bearer(ApiFixture.DevSecretKey), "{}", refusedKey);
        var refusedAgain = await Post(host.Http, "/idempotency-probe", Bearer(ApiFixture.DevSecretKey), "{}", refusedKey);

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.True(refusedAgain.SameAs(refused) && refusedAgain.Replayed, $"{refusedAgain} after {refused}");
        Assert.Equal(6, runs);
    }

    [Fact]
    public async Task Expired_keys_are_purged_and_the_key_may_then_be_used_for_another_request()
    {
        await using var host = await TestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["PaySessions:Idempotency:Retention"] = "00:00:02",
            ["PaySessions:Idempotency:LockTimeout"] = "00:00:01",
            ["PaySessions:Idempotency:PurgeInterval"] = "00:00:00.200",
        });
        var key = NewKey();
        var order = "order_" + Guid.NewGuid().ToString("N");
        var later = "order_" + Guid.NewGuid().ToString("N");

        var first = await Post(host.Http, "/session", Bearer(ApiFixture.DevSecretKey), PayvioxBody(order), key);
        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(1, await KeyRows(host.ConnectionString, key));

        var rows = await Eventually.Read(() => KeyRows(host.ConnectionString, key), count => count == 0, TimeSpan.FromSeconds(60));
        Assert.Equal(0, rows);

        var reused = await Post(host.Http, "/session", Bearer(ApiFixture.DevSecretKey), PayvioxBody(later), key);
        Assert.Equal(HttpStatusCode.Created, reused.Status);
        Assert.False(reused.Replayed);
        Assert.Equal(1, await SessionCount(host.ConnectionString, ApiFixture.DevBusiness, later));
    }

    [Theory]
    [InlineData("PaySessions:Idempotency:Retention", "00:00:00", "Retention")]
    [InlineData("PaySessions:Idempotency:Retention", "31.00:00:00", "Retention")]
    [InlineData("PaySessions:Idempotency:LockTimeout", "1.00:00:00", "LockTimeout")]
    [InlineData("PaySessions:Idempotency:PurgeInterval", "-00:00:01", "PurgeInterval")]
    public async Task Settings_that_could_not_be_kept_stop_the_start_with_a_sentence_naming_the_key(string setting, string value, string named)
    {
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            [setting] = value,
        }));

        Assert.Contains($"PaySessions:Idempotency:{named}", refused.Message, StringComparison.Ordinal);
    }
}
