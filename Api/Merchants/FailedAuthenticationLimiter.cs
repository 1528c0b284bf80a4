using System.Threading.RateLimiting;
using Microsoft.Extensions.Caching.Memory;
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

/// <summary>
/// Hashes of keys this process has recently seen resolve to an active key, so a merchant's own
/// key is never locked out by the failed-authentication throttle of an address it shares with
/// someone guessing (an office NAT, a shared egress). It only lets such a request past the
/// throttle: the key grain is still asked every time, so a revoke takes effect at once. Bounded
/// in entries and in time, so guessing cannot grow it (only working keys are ever added).
/// </summary>
public sealed class RecentlyValidKeys : IDisposable
{
    public const int Capacity = 10_000;

    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private readonly MemoryCache _hashes = new(new MemoryCacheOptions { SizeLimit = Capacity });

    public bool Contains(string keyHash) => _hashes.TryGetValue(keyHash, out _);

    public void Add(string keyHash) =>
        _hashes.Set(keyHash, true, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = Lifetime });

    public void Remove(string keyHash) => _hashes.Remove(keyHash);

    public void Dispose() => _hashes.Dispose();
}
