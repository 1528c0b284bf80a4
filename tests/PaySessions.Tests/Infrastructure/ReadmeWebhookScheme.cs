using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// The merchant-webhook signature exactly as README.md tells a merchant to check it, written here
/// from that text and not with the production <c>WebhookSignature</c>: a header
/// <c>t=&lt;unix seconds&gt;,v1=&lt;64 lower-case hex&gt;</c>, where v1 is the hex HMAC-SHA256, keyed with the
/// UTF-8 bytes of the webhook secret, of the bytes of <c>"&lt;t&gt;."</c> followed by the raw body; a
/// <c>t</c> more than 5 minutes from now is refused. A change to what production signs (dropping the
/// timestamp, another separator, another hash) fails against this.
/// </summary>
public static partial class ReadmeWebhookScheme
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public static bool Verify(string secret, string header, byte[] body, DateTimeOffset now)
    {
        if (Header().Match(header) is not { Success: true } match)
        {
            return false;
        }

        var t = match.Groups["t"].Value;
        var at = DateTimeOffset.FromUnixTimeSeconds(long.Parse(t, CultureInfo.InvariantCulture));
        if ((now - at).Duration() > Tolerance)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Hex(secret, t, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(match.Groups["v1"].Value));
    }

    /// <summary>The v1 value the README's recipe computes for a timestamp and body.</summary>
    public static string Hex(string secret, string t, byte[] body)
    {
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        return Convert.ToHexStringLower(hmac.ComputeHash([.. Encoding.UTF8.GetBytes(t + "."), .. body]));
    }

    /// <summary>The same header with another timestamp and the original v1: what a replay with a fresh <c>t</c> looks like.</summary>
    public static string WithTimestamp(string header, long t) =>
        Header().Replace(header, m => $"t={t.ToString(CultureInfo.InvariantCulture)},v1={m.Groups["v1"].Value}");

    public static long Timestamp(string header) =>
        long.Parse(Header().Match(header).Groups["t"].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex("^t=(?<t>[0-9]{1,12}),v1=(?<v1>[0-9a-f]{64})$")]
    private static partial Regex Header();
}
