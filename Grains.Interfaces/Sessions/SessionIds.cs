using System.Security.Cryptography;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// Session ids come in two shapes, both from a CSPRNG, and both name a session grain:
/// <list type="bullet">
/// <item>Payviox-style: 32 lowercase hex characters (128 bits), <see cref="New"/>.</item>
/// <item>Xendit-style: <c>ps-</c> and 24 lowercase hex characters (96 bits, 27 characters, the
/// shape that dialect's merchants store), <see cref="NewXendit"/>.</item>
/// </list>
/// The id is a bearer capability (it opens the payment page), so it must be unguessable, not
/// merely unique. Whoever looks a session up checks <see cref="IsWellFormed"/> first.
/// </summary>
public static class SessionIds
{
    public const int Length = 32;

    public const string XenditPrefix = "ps-";
    public const int XenditHexLength = 24;
    public const int XenditLength = 27;

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Length / 2));

    /// <summary>A Xendit-style id: <c>ps-</c> + 24 lowercase hex characters.</summary>
    public static string NewXendit() => XenditPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(XenditHexLength / 2));

    /// <summary>A new id in the shape of <paramref name="dialect"/>'s sessions.</summary>
    public static string NewFor(SessionDialect dialect) => dialect == SessionDialect.Xendit ? NewXendit() : New();

    /// <summary>True only for a shape <see cref="New"/> or <see cref="NewXendit"/> produces; anything else is not looked up.</summary>
    public static bool IsWellFormed(string? id) => IsPayviox(id) || IsXendit(id);

    /// <summary>32 lowercase hex characters.</summary>
    public static bool IsPayviox(string? id) => id is { Length: Length } && IsLowerHex(id);

    /// <summary><c>ps-</c> + 24 lowercase hex characters.</summary>
    public static bool IsXendit(string? id) =>
        id is { Length: XenditLength } && id.StartsWith(XenditPrefix, StringComparison.Ordinal) && IsLowerHex(id.AsSpan(XenditPrefix.Length));

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
