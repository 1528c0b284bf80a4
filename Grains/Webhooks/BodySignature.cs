using System.Security.Cryptography;
using System.Text;

namespace PaySessions.Grains.Webhooks;

/// <summary>
/// Payviox's webhook signature: the lowercase hex HMAC-SHA256 of the raw body, keyed with the UTF-8
/// bytes of the business's webhook secret (Payviox calls it the webhook token), sent as
/// <c>Signature</c>. It signs no time, so unlike <c>PaySessions-Signature</c> it cannot tell a
/// replay from a delivery; merchants who can should check both.
/// </summary>
public static class BodySignature
{
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

}
