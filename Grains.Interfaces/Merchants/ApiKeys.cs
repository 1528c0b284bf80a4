using System.Security.Cryptography;
using System.Text;

namespace PaySessions.Grains.Merchants;

/// <summary>pk_ keys may be used from a browser; sk_ keys only from the merchant's server.</summary>
public enum ApiKeyKind
{
    Public = 0,
    Secret = 1,
}

public enum ApiKeyMode
{
    Test = 0,
    Live = 1,
}

/// <summary>
/// The shape of API keys (<c>pk_test_…</c>, <c>sk_live_…</c>) and the one way they are stored:
/// as the lowercase hex SHA-256 of the whole key. Keys carry ≥ 128 random bits, so a fast hash
/// is enough (no password stretching needed) and lets a key be found by its hash.
/// </summary>
public static class ApiKeys
{
    private const int MinSecretLength = 16;
    private const int MaxSecretLength = 128;

    /// <summary>Parses a key's prefix; false for anything not shaped like one of our keys.</summary>
    public static bool TryParse(ReadOnlySpan<char> key, out ApiKeyKind kind, out ApiKeyMode mode)
    {
        kind = default;
        mode = default;
        if (key.StartsWith("pk_"))
        {
            kind = ApiKeyKind.Public;
        }
        else if (key.StartsWith("sk_"))
        {
            kind = ApiKeyKind.Secret;
        }
        else
        {
            return false;
        }

        var rest = key[3..];
        if (rest.StartsWith("test_"))
        {
            mode = ApiKeyMode.Test;
            rest = rest[5..];
        }
        else if (rest.StartsWith("live_"))
        {
            mode = ApiKeyMode.Live;
            rest = rest[5..];
        }
        else
        {
            return false;
        }

        if (rest.Length is < MinSecretLength or > MaxSecretLength)
        {
            return false;
        }

        foreach (var c in rest)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>What may be shown of a key: its prefix and a few characters.</summary>
    public static string Redact(string key) => key.Length <= 12 ? key[..Math.Min(key.Length, 8)] + "…" : key[..12] + "…";

    public static string Prefix(ApiKeyKind kind, ApiKeyMode mode) =>
        (kind == ApiKeyKind.Public ? "pk_" : "sk_") + (mode == ApiKeyMode.Test ? "test_" : "live_");
}
