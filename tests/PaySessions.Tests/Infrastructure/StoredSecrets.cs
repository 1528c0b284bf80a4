using System.Text;

namespace PaySessions.Tests.Infrastructure;

/// <summary>Asserts a secret appears in stored or logged bytes in no encoding a careless change could use.</summary>
public static class StoredSecrets
{
    /// <summary>
    /// The secret's UTF-8 and UTF-16 bytes, its hex (either case), and its base64 and base64url at
    /// every alignment (a secret inside a longer base64-encoded text shows as the encoding of the
    /// part of it that starts on a 3-byte boundary), for the whole secret and for its random part.
    /// </summary>
    public static IEnumerable<byte[]> Encodings(string secret)
    {
        var parts = new List<string> { secret };
        if (secret.IndexOf('_', StringComparison.Ordinal) is var underscore and >= 0 && secret.Length - underscore > 17)
        {
            parts.Add(secret[(underscore + 1)..]);
        }

        foreach (var part in parts)
        {
            var utf8 = Encoding.UTF8.GetBytes(part);
            yield return utf8;
            yield return Encoding.Unicode.GetBytes(part);
            yield return Encoding.ASCII.GetBytes(Convert.ToHexStringLower(utf8));
            yield return Encoding.ASCII.GetBytes(Convert.ToHexString(utf8));
            for (var skip = 0; skip < 3; skip++)
            {
                var whole = (utf8.Length - skip) / 3 * 3;
                var base64 = Convert.ToBase64String(utf8, skip, whole);
                yield return Encoding.ASCII.GetBytes(base64);
                yield return Encoding.ASCII.GetBytes(base64.Replace('+', '-').Replace('/', '_'));
            }
        }
    }

    public static void AssertAbsent(byte[] haystack, string secret)
    {
        foreach (var encoding in Encodings(secret))
        {
            Assert.True(haystack.AsSpan().IndexOf(encoding) < 0, $"found the secret as \"{Encoding.UTF8.GetString(encoding)}\"");
        }
    }

    public static void AssertAbsent(string text, string secret) => AssertAbsent(Encoding.UTF8.GetBytes(text), secret);
}
