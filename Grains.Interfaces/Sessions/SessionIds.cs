using System.Security.Cryptography;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// Session ids are 32 lowercase hex characters: 128 bits from a CSPRNG. The id is a bearer
/// capability (it opens the payment page), so it must be unguessable, not merely unique.
/// </summary>
public static class SessionIds
{
    public const int Length = 32;

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Length / 2));

    /// <summary>True only for the shape <see cref="New"/> produces; anything else is not looked up.</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: Length } && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
