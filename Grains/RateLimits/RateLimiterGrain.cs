using Microsoft.Extensions.Options;

namespace PaySessions.Grains.RateLimits;

/// <summary>
/// A token bucket: holds up to Limit tokens, refilled at Limit per Window, one token per session
/// request. A burst of Limit passes at once, then requests pass at the refill rate.
/// </summary>
public sealed class RateLimiterGrain(IOptions<RateLimitOptions> options, TimeProvider clock) : Grain, IRateLimiterGrain
{
    private RateLimit _limit = null!;
    private double _tokens;
    private DateTimeOffset _refilledAt;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        _limit = key.StartsWith(RateLimitKeys.IpPrefix, StringComparison.Ordinal) ? options.Value.PerIp : options.Value.PerCustomer;
        _tokens = _limit.Limit;
        _refilledAt = clock.GetUtcNow();
        return Task.CompletedTask;
    }

    public Task<RateLimitDecision> TryAcquire()
    {
        var now = clock.GetUtcNow();
        var perSecond = _limit.Limit / Math.Max(_limit.Window.TotalSeconds, 0.001);
        _tokens = Math.Min(_limit.Limit, _tokens + (Math.Max((now - _refilledAt).TotalSeconds, 0) * perSecond));
        _refilledAt = now;

        if (_tokens >= 1)
        {
            _tokens -= 1;
            return Task.FromResult(RateLimitDecision.Allow);
        }

        var retryAfter = (int)Math.Ceiling((1 - _tokens) / perSecond);
        return Task.FromResult(new RateLimitDecision(false, Math.Max(retryAfter, 1)));
    }
}
