using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PaySessions.Grains.Payments;

/// <summary>
/// The signature scheme of every webhook here, in and out:
/// <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;body&gt;")&gt;</c>.
/// Signing the timestamp with the body lets a receiver refuse replays older than its tolerance.
/// </summary>
public static class WebhookSignature
{
    /// <summary>How old a signature may be.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How far ahead of this clock a signature's timestamp may be: clocks drift a little, but a
    /// timestamp from further in the future would keep a captured signature replayable for longer
    /// than <see cref="Tolerance"/>.
    /// </summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    public static string Sign(string secret, DateTimeOffset at, ReadOnlySpan<byte> body)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={timestamp},v1={Convert.ToHexStringLower(Mac(secret, timestamp, body))}";
    }

    /// <summary>
    /// True when one v1 signature matches and the timestamp is at most <see cref="Tolerance"/> old and at
    /// most <see cref="ClockSkew"/> ahead of <paramref name="now"/>.
    /// </summary>
    public static bool Verify(string? header, string secret, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(header) || header.Length > 1024 || string.IsNullOrEmpty(secret))
        {
            return false;
        }

        string? timestamp = null;
        var signatures = new List<string>();
        foreach (var part in header.Split(','))
        {
            var pair = part.Trim();
            if (pair.StartsWith("t=", StringComparison.Ordinal))
            {
                timestamp = pair[2..];
            }
            else if (pair.StartsWith("v1=", StringComparison.Ordinal))
            {
                signatures.Add(pair[3..]);
            }
        }

        if (timestamp is null || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > 253402300799)
        {
            return false;
        }

        var age = now - DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (age > Tolerance || age < -ClockSkew)
        {
            return false;
        }

        var expected = Mac(secret, timestamp, body);
        Span<byte> given = stackalloc byte[32];
        var matched = false;
        foreach (var signature in signatures)
        {
            // Every candidate is compared, in constant time, so timing tells nothing about which matched.
            if (signature.Length == 64
                && Convert.FromHexString(signature, given, out _, out var written) == System.Buffers.OperationStatus.Done
                && written == 32
                && CryptographicOperations.FixedTimeEquals(given, expected))
            {
                matched = true;
            }
        }

        return matched;
    }

    private static byte[] Mac(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message);
    }
}
