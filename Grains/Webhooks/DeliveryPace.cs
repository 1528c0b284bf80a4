namespace PaySessions.Grains.Webhooks;

/// <summary>
/// The ceiling on how many expiry notices one silo's dispatcher sends a second
/// (<see cref="WebhookOptions.MaxExpiryNoticesPerSecond"/>; other webhooks are not paced): a token bucket that fills at that rate and
/// holds at most one claim's worth (the batch size, or the rate when that is smaller). The
/// dispatcher claims only as many deliveries as it holds tokens for, and waits for a batch's worth
/// rather than claiming a row or two at a time (each claim and each record is a commit). So in any
/// window of t seconds a silo starts at most <see cref="Capacity"/> + rate × t deliveries, and the
/// rate stays even: a mass expiry's notices go out over minutes instead of all in the minute they
/// were written, and the node's CPU and database stay with the merchants' own requests.
/// Used by one loop at a time (not thread-safe).
/// </summary>
public sealed class DeliveryPace
{
    // Tokens are fractions filled by elapsed time: a sum that should be whole may come out a hair short.
    private const double Rounding = 1e-9;

    private readonly TimeProvider _clock;
    private readonly double _perSecond;
    private double _tokens;
    private long _filledAt;

    /// <param name="perSecond">The ceiling; zero or less: none (every claim may take a whole batch).</param>
    /// <param name="batchSize">The most one claim takes.</param>
    public DeliveryPace(int perSecond, int batchSize, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _clock = clock;
        _perSecond = perSecond;
        Capacity = perSecond > 0 ? Math.Min(batchSize, perSecond) : batchSize;
        _tokens = Capacity;
        _filledAt = clock.GetTimestamp();
    }

    /// <summary>The most deliveries granted at once (a full bucket).</summary>
    public int Capacity { get; }

    public bool Unlimited => _perSecond <= 0;

    /// <summary>
    /// How many of <paramref name="want"/> deliveries may be claimed now: zero until the bucket
    /// holds a claim's worth (<paramref name="want"/>, at most <see cref="Capacity"/>), then as many
    /// as it holds. With zero, <paramref name="wait"/> says how long until it will.
    /// </summary>
    public int TryTake(int want, out TimeSpan wait)
    {
        wait = TimeSpan.Zero;
        if (want <= 0)
        {
            return 0;
        }

        if (Unlimited)
        {
            return want;
        }

        Fill();
        var needed = Math.Min(want, Capacity);
        if (_tokens + Rounding < needed)
        {
            // Rounded up to a whole millisecond so that a wait never ends just short of the token.
            wait = TimeSpan.FromMilliseconds(Math.Ceiling((needed - _tokens) / _perSecond * 1000));
            return 0;
        }

        var granted = Math.Min(want, (int)Math.Floor(_tokens + Rounding));
        _tokens = Math.Max(0, _tokens - granted);
        return granted;
    }

    /// <summary>Gives back tokens for deliveries that were granted but not sent (fewer were due, or no request was made).</summary>
    public void Return(int unused)
    {
        if (unused > 0 && !Unlimited)
        {
            Fill();
            _tokens = Math.Min(Capacity, _tokens + unused);
        }
    }

    /// <summary>Waits until <see cref="TryTake"/> grants some of <paramref name="want"/>, and returns how many.</summary>
    public async Task<int> TakeAsync(int want, CancellationToken cancellationToken)
    {
        while (true)
        {
            var granted = TryTake(want, out var wait);
            if (granted > 0 || want <= 0)
            {
                return granted;
            }

            await Task.Delay(wait, _clock, cancellationToken);
        }
    }

    private void Fill()
    {
        var now = _clock.GetTimestamp();
        var elapsed = _clock.GetElapsedTime(_filledAt, now).TotalSeconds;
        _filledAt = now;
        _tokens = Math.Min(Capacity, _tokens + (elapsed * _perSecond));
    }
}
