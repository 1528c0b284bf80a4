using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using PaySessions.Api.Webhooks;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Tests.Webhooks;

/// <summary>
/// The timeline's merge and the bulk redelivery filter's reader as pure functions: any records in
/// any order give one time-ordered timeline with a fixed order among equal times; any JSON object
/// gives either a filter within its bounds or field errors, never an exception.
/// </summary>
public sealed class TimelineAndFilterProperties
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    // Few distinct instants, so equal times are common.
    private static readonly Gen<DateTimeOffset> Times = Gen.Choose(0, 3).Select(s => Start.AddSeconds(s));

    [Fact]
    public void The_merged_timeline_is_in_time_order_has_everything_once_and_does_not_depend_on_the_input_order()
    {
        var inputs =
            from eventTimes in Gen.ListOf(Times)
            from callbackTimes in Gen.ListOf(Times)
            from redeliveryTimes in Gen.ListOf(Times)
            from attemptTimes in Gen.ListOf(Times)
            from seed in Gen.Choose(0, int.MaxValue)
            select (eventTimes, callbackTimes, redeliveryTimes, attemptTimes, seed);

        var property = Prop.ForAll(Arb.From(inputs), input =>
        {
            var events = input.eventTimes.Select((t, i) => new SessionEventRecord(i + 1, "Created", t, "{}")).ToList();
            var callbacks = input.callbackTimes.Select((t, i) => new ProviderCallbackRecord(i + 1, "sandbox", t, "sbx_1", null, null, "rejected", "bad_signature")).ToList();
            var redeliveries = input.redeliveryTimes.Select((t, i) => new WebhookRedeliveryRecord(i + 1, "r", "evt_1", "succeeded", t, "sk_test key", false, "delivered")).ToList();
            var attempts = input.attemptTimes.Select((t, i) => new WebhookAttempt(i + 1, t, 200, null, 5)).ToList();
            var deliveries = new List<WebhookDelivery> { new("evt_1", "succeeded", 2, "delivered", Start, null, null, attempts) };

            var merged = SessionTimeline.Merge(events, deliveries, callbacks, redeliveries);
            var random = new Random(input.seed);
            var shuffled = SessionTimeline.Merge(
                [.. events.OrderBy(_ => random.Next())],
                [deliveries[0] with { Attempts = [.. attempts.OrderBy(_ => random.Next())] }],
                [.. callbacks.OrderBy(_ => random.Next())],
                [.. redeliveries.OrderBy(_ => random.Next())]);

            return merged.Count == events.Count + callbacks.Count + redeliveries.Count + attempts.Count
                && merged.Zip(merged.Skip(1)).All(p => p.First.At <= p.Second.At)
                && merged.SequenceEqual(shuffled);
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    [Fact]
    public void At_one_instant_a_callback_comes_before_the_event_it_caused_and_a_redelivery_before_its_attempt()
    {
        var at = Start;
        var merged = SessionTimeline.Merge(
            [new SessionEventRecord(3, "Completed", at, "{}")],
            [new WebhookDelivery("evt_1", "succeeded", 3, "delivered", at, null, at, [new WebhookAttempt(2, at, 200, null, 1)])],
            [new ProviderCallbackRecord(7, "sandbox", at, "sbx_1", "payment.succeeded", "pay_1", "accepted", "completed")],
            [new WebhookRedeliveryRecord(1, "r", "evt_1", "succeeded", at, "sk_test key", false, "delivered")]);

        Assert.Equal(["provider_callback", "event", "webhook_redelivery", "webhook_attempt"], merged.Select(e => e.Kind));
    }

    [Fact]
    public void Any_json_object_gives_a_bounded_filter_or_field_errors_never_an_exception()
    {
        var values = Gen.Elements(
            "null", "true", "false", "0", "1", "-1", "100", "101", "1.5", "1e2", "\"\"", "\"succeeded\"", "\"2026-12-01T10:00:00Z\"",
            "\"2026-12-01T10:00:00+07:00\"", "\"2026-12-01T10:00:00\"", "\"2026-13-01T10:00:00Z\"", "\"yesterday\"", "[]", "{}",
            "\"" + new string('x', 101) + "\"", "99999999999", "\"2026-12-01 10:00:00Z\"");
        var fields = Gen.Elements("type", "created_from", "created_to", "only_undelivered", "limit", "other");
        var bodies = Gen.ListOf(Gen.Zip(fields, values)).Select(pairs =>
            "{" + string.Join(",", pairs.DistinctBy(p => p.Item1).Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}");

        var property = Prop.ForAll(Arb.From(bodies), body =>
        {
            using var document = JsonDocument.Parse(body);
            var (filter, errors) = RedeliveryFilterBody.Read(document.RootElement, RedeliveryFilter.MaxLimit);
            return filter is null
                ? errors.Count > 0
                : errors.Count == 0 && filter.Limit is >= 1 and <= RedeliveryFilter.MaxLimit
                    && (filter.CreatedFrom is null || filter.CreatedTo is null || filter.CreatedFrom < filter.CreatedTo)
                    && filter.Type is null or { Length: >= 1 and <= 100 };
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Fact]
    public void Webhook_ids_are_read_only_as_written()
    {
        var id = Guid.NewGuid();
        Assert.True(WebhookIds.TryParse("evt_" + id.ToString("N"), out var read));
        Assert.Equal(id, read);
        Assert.False(WebhookIds.TryParse("evt_" + id.ToString("N").ToUpperInvariant(), out _));
        Assert.False(WebhookIds.TryParse("evt_" + id.ToString("D"), out _));
        Assert.False(WebhookIds.TryParse(id.ToString("N"), out _));
        Assert.False(WebhookIds.TryParse(null, out _));
    }
}
