using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PaySessions.Grains.Webhooks;

/// <summary>
/// The Standard Webhooks headers (https://www.standardwebhooks.com): <c>webhook-id</c>,
/// <c>webhook-timestamp</c> (unix seconds of the attempt) and <c>webhook-signature: v1,&lt;base64
/// HMAC-SHA256 of "id.timestamp.body"&gt;</c>. The spec's secret is <c>whsec_</c> + base64 of the key
/// bytes, and libraries decode it; ours are text (<c>whsec_</c> + 32 letters and digits, or an imported
/// string) whose UTF-8 bytes key the other two signatures. So the key here is those same bytes, and
/// the form a merchant gives a library is <see cref="LibrarySecret"/>: <c>whsec_</c> + base64 of the
/// UTF-8 bytes of the whole secret as shown. One key signs all three headers; nothing existing changes.
/// </summary>
public static class StandardWebhookSignature
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    private const string Prefix = "whsec_";

    /// <summary>The secret as a Standard Webhooks library takes it: <c>whsec_</c> + base64(UTF-8 of <paramref name="secret"/>).</summary>
    public static string LibrarySecret(string secret) => Prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(secret));

    /// <summary>The webhook id of a delivery: its event's id, the same on every attempt and redelivery.</summary>
    public static string IdOf(Guid eventId) => "evt_" + eventId.ToString("N");

    public static string Timestamp(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    /// <summary><c>v1,&lt;base64 HMAC-SHA256 of "id.timestamp.body"&gt;</c>, keyed with the UTF-8 bytes of <paramref name="secret"/>.</summary>
    public static string Sign(string secret, string webhookId, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(webhookId + "." + timestamp + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }
}
