using System.Security.Cryptography;

namespace PaySessions.Grains.Customers;

/// <summary>
/// Customer ids are <c>cust-</c> and a version 4 UUID in lower case (41 characters, the shape
/// Xendit-style merchants store), its 122 random bits drawn from a CSPRNG.
/// </summary>
public static class CustomerIds
{
    public const string Prefix = "cust-";
    public const int Length = 41;

    public static string New()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(bytes);
        return $"{Prefix}{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    /// <summary>True for <c>cust-</c> + a lower-case UUID (8-4-4-4-12 hex); anything else is not looked up.</summary>
    public static bool IsWellFormed(string? id)
    {
        if (id is not { Length: Length } || !id.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        for (var i = Prefix.Length; i < Length; i++)
        {
            var at = i - Prefix.Length;
            var c = id[i];
            var ok = at is 8 or 13 or 18 or 23 ? c == '-' : char.IsAsciiDigit(c) || c is >= 'a' and <= 'f';
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
