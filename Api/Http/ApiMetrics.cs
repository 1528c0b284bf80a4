using System.Diagnostics.Metrics;

namespace PaySessions.Api.Http;

/// <summary>
/// The front door's own counts: meter <c>PaySessions.Api</c>.
/// <c>paysessions.rate_limit.rejections</c> counts requests answered 429, tagged <c>limit</c>:
/// <c>ip</c> and <c>customer</c> (session creates over the per-IP or per-customer limit) or
/// <c>failed_auth</c> (an address that sent too many wrong API keys).
/// <c>paysessions.rate_limit.fail_open</c> counts session creates let through without a limit
/// because a rate-limiter grain could not be reached (its silo dying, a call timing out), tagged
/// <c>limit</c>: <c>ip</c> or <c>customer</c>. Above zero only while a node fails over; a steady
/// rise means the limits are not being applied.
/// </summary>
public static class ApiMetrics
{
    public const string MeterName = "PaySessions.Api";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> RateLimitRejections = Meter.CreateCounter<long>(
        "paysessions.rate_limit.rejections", "{request}", "Requests refused with 429, by limit (ip, customer, failed_auth).");

    private static readonly Counter<long> RateLimitFailOpens = Meter.CreateCounter<long>(
        "paysessions.rate_limit.fail_open", "{request}", "Session creates let through unlimited because a rate limiter was unreachable, by limit (ip, customer).");

    public static void RateLimitFailedOpen(RateLimitScope scope) =>
        RateLimitFailOpens.Add(1, new KeyValuePair<string, object?>("limit", scope == RateLimitScope.Ip ? "ip" : "customer"));

    public static void RateLimited(RateLimitScope scope) => RateLimited(scope == RateLimitScope.Ip ? "ip" : "customer");

    public static void RateLimited(string limit) => RateLimitRejections.Add(1, new KeyValuePair<string, object?>("limit", limit));
}
