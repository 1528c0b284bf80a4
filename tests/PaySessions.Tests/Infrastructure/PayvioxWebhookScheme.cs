using System.Security.Cryptography;
using System.Text;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// Payviox's webhook signature as its documentation (webhooks/integration.mdx) tells a merchant to
/// check it, written here from that text and not with the production <c>BodySignature</c>: the
/// <c>Signature</c> header is the lowercase hex HMAC-SHA256 of the raw request body, keyed with the
/// webhook token, compared in constant time. No timestamp is part of it.
/// </summary>
public static class PayvioxWebhookScheme
{
    public const string Header = "Signature";

    public static bool Verify(string webhookToken, string? received, string rawBody)
    {
        if (string.IsNullOrEmpty(received))
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Hex(webhookToken, rawBody));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(received));
    }

    public static string Hex(string webhookToken, string rawBody) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(webhookToken), Encoding.UTF8.GetBytes(rawBody)));
}
