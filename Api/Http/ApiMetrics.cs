using System.Diagnostics.Metrics;

namespace PaySessions.Api.Http;

/// <summary>
/// The front door's own counts: meter <c>PaySessions.Api</c>.
/// <c>paysessions.rate_limit.rejections</c> counts requests answered 429, tagged <c>limit</c>:
/// <c>ip</c> and <c>customer</c> (session creates over the per-IP or per-customer limit) or
/// <c>failed_auth</c> (an address that sent too many wrong API keys).
/// </summary>
public static class ApiMetrics
{
    public const string MeterName = "PaySessions.Api";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> RateLimitRejections = Meter.CreateCounter<long>(
        "paysessions.rate_limit.rejections", "{request}", "Requests refused with 429, by limit (ip, customer, failed_auth).");

    public static void RateLimited(RateLimitScope scope) => RateLimited(scope == RateLimitScope.Ip ? "ip" : "customer");

    public static void RateLimited(string limit) => RateLimitRejections.Add(1, new KeyValuePair<string, object?>("limit", limit));
}
