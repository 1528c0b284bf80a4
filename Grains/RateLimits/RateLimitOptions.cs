using System.ComponentModel.DataAnnotations;

namespace PaySessions.Grains.RateLimits;

/// <summary>Session-creation limits (<c>PaySessions:RateLimits</c>).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "PaySessions:RateLimits";

    /// <summary>Sessions one end-user IP address may create.</summary>
    public RateLimit PerIp { get; set; } = new() { Limit = 60, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Sessions one customer of one business may create.</summary>
    public RateLimit PerCustomer { get; set; } = new() { Limit = 20, Window = TimeSpan.FromMinutes(1) };
}

/// <summary><see cref="Limit"/> requests per <see cref="Window"/>, refilled evenly across it.</summary>
public sealed class RateLimit
{
    [Range(1, 1_000_000)]
    public int Limit { get; set; }

    public TimeSpan Window { get; set; }
}
