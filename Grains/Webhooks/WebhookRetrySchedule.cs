namespace PaySessions.Grains.Webhooks;

/// <summary>
/// When a failed merchant webhook is tried again: Payviox's schedule first (the first attempt at
/// once, then 30 s, 5 min and 30 min after each failure: <see cref="WebhookOptions.RetryDelays"/>),
/// then, where Payviox gives up after four attempts, the wait keeps doubling from the last listed
/// one, up to <see cref="WebhookOptions.MaxRetryDelay"/> apart, until the next attempt would fall
/// more than <see cref="WebhookOptions.GiveUpAfter"/> after the event: then the delivery is failed.
/// The doubled waits are stretched by a per-delivery <c>spread</c> in [0, <see cref="MaxSpread"/>)
/// so that deliveries failing together (one merchant down through a mass expiry) drift apart; the
/// listed waits are exact, as Payviox documents them. A pure function: no clock, no randomness.
/// </summary>
public static class WebhookRetrySchedule
{
    /// <summary>The most a doubled wait is stretched (10%).</summary>
    public const double MaxSpread = 0.1;

    /// <summary>The wait after failed attempt <paramref name="failures"/> (1: after the first attempt failed).</summary>
    public static TimeSpan DelayAfter(int failures, WebhookOptions options, double spread)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);
        var listed = options.EffectiveRetryDelays;
        if (failures <= listed.Count)
        {
            return listed[failures - 1];
        }

        var last = listed[^1];
        var ceiling = Math.Max(options.MaxRetryDelay.Ticks, last.Ticks);
        // Doubling in ticks, capped before it can overflow: 2^(n) of the last listed wait.
        var doublings = Math.Min(failures - listed.Count, 40);
        var doubled = last.Ticks;
        for (var i = 0; i < doublings && doubled < ceiling; i++)
        {
            doubled *= 2;
        }

        var capped = Math.Min(doubled, ceiling);
        return TimeSpan.FromTicks(capped + (long)(capped * Math.Clamp(spread, 0, MaxSpread)));
    }

    /// <summary>
    /// When to try again after failed attempt <paramref name="failures"/> ended at <paramref name="now"/>,
    /// or null when that would be more than <see cref="WebhookOptions.GiveUpAfter"/> after the event
    /// (<paramref name="createdAt"/>): the delivery is then failed for good.
    /// </summary>
    public static DateTimeOffset? NextAttemptAt(DateTimeOffset createdAt, DateTimeOffset now, int failures, WebhookOptions options, double spread)
    {
        var at = now + DelayAfter(failures, options, spread);
        return at > createdAt + options.GiveUpAfter ? null : at;
    }

    /// <summary>
    /// Every attempt's time after the event for a receiver that always fails and answers at once:
    /// the first at zero, the last no later than <see cref="WebhookOptions.GiveUpAfter"/>.
    /// </summary>
    public static IReadOnlyList<TimeSpan> AttemptOffsets(WebhookOptions options, double spread)
    {
        var created = DateTimeOffset.UnixEpoch;
        var offsets = new List<TimeSpan> { TimeSpan.Zero };
        while (NextAttemptAt(created, created + offsets[^1], offsets.Count, options, spread) is { } next)
        {
            offsets.Add(next - created);
        }

        return offsets;
    }

    /// <summary>A delivery's own spread in [0, <see cref="MaxSpread"/>), from its event id: the same on every attempt and every silo.</summary>
    public static double SpreadOf(Guid eventId)
    {
        Span<byte> bytes = stackalloc byte[16];
        eventId.TryWriteBytes(bytes);
        var value = BitConverter.ToUInt32(bytes[12..]);
        return value / ((double)uint.MaxValue + 1) * MaxSpread;
    }
}
