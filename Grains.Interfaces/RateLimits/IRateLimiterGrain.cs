namespace PaySessions.Grains.RateLimits;

/// <summary>
/// A token bucket for one caller, keyed <c>ip:&lt;address&gt;</c> or
/// <c>customer:&lt;business&gt;:&lt;customer&gt;</c>; the key's prefix picks the configured limit.
/// Counts live in memory: a bucket lost with its silo starts full again, which errs towards
/// letting a customer pay.
/// </summary>
[Alias("PaySessions.IRateLimiterGrain")]
public interface IRateLimiterGrain : IGrainWithStringKey
{
    /// <summary>Takes one token if there is one.</summary>
    [Alias("TryAcquire")]
    Task<RateLimitDecision> TryAcquire();
}

[Immutable]
[GenerateSerializer]
[Alias("PaySessions.RateLimitDecision")]
public sealed record RateLimitDecision(
    [property: Id(0)] bool Allowed,
    [property: Id(1)] int RetryAfterSeconds)
{
    public static readonly RateLimitDecision Allow = new(true, 0);
}

public static class RateLimitKeys
{
    public const string IpPrefix = "ip:";
    public const string CustomerPrefix = "customer:";

    public static string ForIp(string address) => IpPrefix + address;

    public static string ForCustomer(string businessId, string customer) => $"{CustomerPrefix}{businessId}:{customer}";
}
