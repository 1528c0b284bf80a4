using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace PaySessions.Api.Merchants;

/// <summary>Failed API-key attempts an address may make per window (<c>PaySessions:RateLimits:FailedAuthPerIp</c>).</summary>
public sealed class FailedAuthenticationOptions
{
    public const string Section = "PaySessions:RateLimits:FailedAuthPerIp";

    public int Limit { get; set; } = 30;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Counts failed authentications per client address, in this process: a cheap screen in front of
/// key resolution, so it needs no grain call of its own. Each silo counts separately, which is
/// enough to keep a flood of made-up keys from reaching the database.
/// </summary>
public sealed class FailedAuthenticationLimiter(IOptions<FailedAuthenticationOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.Limit,
            Window = options.Value.Window,
            QueueLimit = 0,
        }));

    /// <summary>True when the address has used up its failures for this window.</summary>
    public bool IsThrottled(string address, out int retryAfterSeconds)
    {
        using var probe = _limiter.AttemptAcquire(address, permitCount: 0);
        var wait = probe.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : options.Value.Window;
        retryAfterSeconds = probe.IsAcquired ? 0 : Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        return !probe.IsAcquired;
    }

    public void Record(string address)
    {
        using var _ = _limiter.AttemptAcquire(address);
    }

    public void Dispose() => _limiter.Dispose();
}
