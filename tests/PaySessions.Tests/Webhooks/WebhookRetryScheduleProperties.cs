using FsCheck;
using FsCheck.Fluent;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Tests.Webhooks;

/// <summary>
/// The merchant-webhook retry schedule as a pure function: Payviox's attempts (at once, then 30 s,
/// 5 min and 30 min after each failure) exactly, then waits that keep doubling up to the cap, for
/// as long as the next attempt stays within three days of the event, and not a moment less.
/// </summary>
public sealed class WebhookRetryScheduleProperties
{
    private static readonly Gen<double> Spreads = Gen.Choose(0, 999).Select(n => n / 1000.0 * WebhookRetrySchedule.MaxSpread);

    [Fact]
    public void With_the_defaults_the_first_four_attempts_are_payvioxs_and_the_rest_double_to_twelve_hours_within_three_days()
    {
        var offsets = WebhookRetrySchedule.AttemptOffsets(new WebhookOptions(), spread: 0);

        Assert.Equal(
            [
                TimeSpan.Zero, TimeSpan.FromSeconds(30), new TimeSpan(0, 5, 30), new TimeSpan(0, 35, 30),
                new TimeSpan(1, 35, 30), new TimeSpan(3, 35, 30), new TimeSpan(7, 35, 30), new TimeSpan(15, 35, 30),
                new TimeSpan(27, 35, 30), new TimeSpan(39, 35, 30), new TimeSpan(51, 35, 30), new TimeSpan(63, 35, 30),
            ],
            offsets);
    }

    [Fact]
    public void With_the_defaults_and_any_spread_the_first_four_are_exact_the_times_rise_and_the_last_is_within_three_days()
    {
        var property = Prop.ForAll(Arb.From(Spreads), spread =>
        {
            var options = new WebhookOptions();
            var offsets = WebhookRetrySchedule.AttemptOffsets(options, spread);
            return offsets.Take(4).SequenceEqual([TimeSpan.Zero, TimeSpan.FromSeconds(30), new TimeSpan(0, 5, 30), new TimeSpan(0, 35, 30)])
                && offsets.Count > 4
                && Holds(offsets, options, spread);
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Fact]
    public void Any_valid_schedule_keeps_its_listed_waits_exactly_rises_doubles_to_the_cap_and_stops_only_past_give_up()
    {
        var schedules =
            from count in Gen.Choose(1, 5)
            from listed in Gen.ListOf(Gen.Choose(1, 3600).Select(s => TimeSpan.FromSeconds(s)), count)
            from cap in Gen.Choose(1, 86_400).Select(s => TimeSpan.FromSeconds(s))
            from giveUp in Gen.Choose(1, 7 * 24).Select(h => TimeSpan.FromHours(h))
            from spread in Spreads
            select (Options: new WebhookOptions { RetryDelays = [.. listed.Order()], MaxRetryDelay = cap, GiveUpAfter = giveUp }, Spread: spread);

        var property = Prop.ForAll(Arb.From(schedules), c =>
        {
            Assert.Null(new WebhookOptionsValidator().Validate(null, c.Options).FailureMessage);
            var listed = c.Options.EffectiveRetryDelays;
            var offsets = WebhookRetrySchedule.AttemptOffsets(c.Options, c.Spread);
            var waits = offsets.Zip(offsets.Skip(1), (a, b) => b - a).ToList();
            var keepsListed = waits.Take(listed.Count).SequenceEqual(listed.Take(waits.Count));
            var ceiling = Math.Max(c.Options.MaxRetryDelay.Ticks, listed[^1].Ticks);
            var capped = waits.Skip(listed.Count).All(w => w.Ticks <= ceiling + (long)(ceiling * WebhookRetrySchedule.MaxSpread));
            return keepsListed && capped && Holds(offsets, c.Options, c.Spread);
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Fact]
    public void A_deliverys_spread_is_its_own_and_within_bounds()
    {
        var property = Prop.ForAll(Arb.From(Gen.Fresh(Guid.NewGuid)), id =>
        {
            var spread = WebhookRetrySchedule.SpreadOf(id);
            return spread >= 0 && spread < WebhookRetrySchedule.MaxSpread && spread == WebhookRetrySchedule.SpreadOf(id);
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    // Attempts rise, waits never shrink, the first is at once, the last is within GiveUpAfter, and
    // one more would not be: the schedule neither overruns nor gives up early.
    private static bool Holds(IReadOnlyList<TimeSpan> offsets, WebhookOptions options, double spread)
    {
        var waits = offsets.Zip(offsets.Skip(1), (a, b) => b - a).ToList();
        return offsets[0] == TimeSpan.Zero
            && waits.All(w => w > TimeSpan.Zero)
            && waits.Zip(waits.Skip(1), (a, b) => b >= a).All(x => x)
            && offsets[^1] <= options.GiveUpAfter
            && offsets[^1] + WebhookRetrySchedule.DelayAfter(offsets.Count, options, spread) > options.GiveUpAfter;
    }
}
