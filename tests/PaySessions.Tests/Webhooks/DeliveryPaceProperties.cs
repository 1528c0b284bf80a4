using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Time.Testing;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Tests.Webhooks;

/// <summary>
/// The dispatcher's ceiling as a pure rule on a fake clock: whatever the rate, the batch size and
/// the times it is asked at, no window of time sees more grants than a full bucket plus the rate
/// times the window; asked often enough it grants the rate; and it waits for a batch's worth
/// instead of handing out a row at a time.
/// </summary>
public sealed class DeliveryPaceProperties
{
    private static readonly Gen<(int Rate, int Batch, int[] StepsMs)> Runs =
        from rate in Gen.Choose(1, 500)
        from batch in Gen.Choose(1, 100)
        from steps in Gen.ArrayOf(Gen.Choose(0, 400), 200)
        select (rate, batch, steps);

    [Fact]
    public void No_window_sees_more_than_a_full_bucket_plus_the_rate_times_the_window()
    {
        var property = Prop.ForAll(Arb.From(Runs), run =>
        {
            var clock = new FakeTimeProvider();
            var pace = new DeliveryPace(run.Rate, run.Batch, clock);
            var grants = new List<(TimeSpan At, int Count)>();
            var started = clock.GetUtcNow();
            foreach (var step in run.StepsMs)
            {
                clock.Advance(TimeSpan.FromMilliseconds(step));
                var granted = pace.TryTake(run.Batch, out var wait);
                if (granted > 0)
                {
                    grants.Add((clock.GetUtcNow() - started, granted));
                }
                else
                {
                    // A refusal says how long until a claim's worth is there, and that is true.
                    clock.Advance(wait);
                    if (pace.TryTake(run.Batch, out _) is var afterWait and > 0)
                    {
                        grants.Add((clock.GetUtcNow() - started, afterWait));
                    }
                    else
                    {
                        return false;
                    }
                }
            }

            // Every window that starts at a grant (the worst case) and every grant is at most a batch.
            for (var i = 0; i < grants.Count; i++)
            {
                var sum = 0;
                for (var j = i; j < grants.Count; j++)
                {
                    sum += grants[j].Count;
                    var window = (grants[j].At - grants[i].At).TotalSeconds;
                    if (sum > pace.Capacity + (run.Rate * window) + 1e-6)
                    {
                        return false;
                    }
                }
            }

            return grants.All(g => g.Count <= run.Batch);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    [Fact]
    public void Asked_without_pause_it_grants_the_rate_in_whole_batches()
    {
        var clock = new FakeTimeProvider();
        var pace = new DeliveryPace(perSecond: 200, batchSize: 50, clock);
        var granted = 0;
        var claims = new List<int>();
        var end = clock.GetUtcNow() + TimeSpan.FromSeconds(10);
        while (clock.GetUtcNow() < end)
        {
            var now = pace.TryTake(50, out var wait);
            if (now > 0)
            {
                granted += now;
                claims.Add(now);
            }
            else
            {
                Assert.True(wait > TimeSpan.Zero);
                clock.Advance(wait);
            }
        }

        // Within [0, 10 s): a full bucket at once, then a claim of 50 every 250 ms (200 a second): 40 claims.
        Assert.Equal(2000, granted);
        Assert.All(claims, c => Assert.Equal(50, c));
    }

    [Fact]
    public void Tokens_given_back_are_granted_again_but_never_beyond_a_full_bucket()
    {
        var clock = new FakeTimeProvider();
        var pace = new DeliveryPace(perSecond: 10, batchSize: 50, clock);
        Assert.Equal(10, pace.Capacity);
        Assert.Equal(10, pace.TryTake(50, out _));
        Assert.Equal(0, pace.TryTake(50, out var wait));
        Assert.Equal(TimeSpan.FromSeconds(1), wait);

        pace.Return(4);
        Assert.Equal(0, pace.TryTake(50, out _));
        Assert.Equal(4, pace.TryTake(4, out _));

        pace.Return(1000);
        Assert.Equal(10, pace.TryTake(50, out _));
    }

    [Fact]
    public void Without_a_ceiling_every_claim_takes_what_it_asks()
    {
        var pace = new DeliveryPace(perSecond: 0, batchSize: 50, new FakeTimeProvider());
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(50, pace.TryTake(50, out var wait));
            Assert.Equal(TimeSpan.Zero, wait);
        }
    }

    [Theory]
    [InlineData(-1, 50, 8, true)]
    [InlineData(0, 50, 8, false)]
    [InlineData(200, 0, 8, true)]
    [InlineData(200, 50, 0, true)]
    [InlineData(1, 1, 1, false)]
    public void Start_up_refuses_a_negative_ceiling_and_an_empty_batch_or_no_concurrency(int perSecond, int batch, int concurrent, bool refused)
    {
        var result = new WebhookOptionsValidator().Validate(
            null, new WebhookOptions { MaxExpiryNoticesPerSecond = perSecond, BatchSize = batch, MaxConcurrentDeliveries = concurrent });

        Assert.Equal(refused, result.Failed);
        if (refused)
        {
            Assert.Contains("PaySessions:Webhooks:MaxExpiryNoticesPerSecond", result.FailureMessage, StringComparison.Ordinal);
        }
    }
}
