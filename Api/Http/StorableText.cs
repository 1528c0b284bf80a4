using System.Text.Json;

namespace PaySessions.Api.Http;

/// <summary>
/// Text a merchant sends that the service may store, shared by every dialect's body rules: no NUL
/// character and no lone surrogate (PostgreSQL refuses the first, UTF-8 cannot hold the second),
/// and lengths counted as a person counts characters (code points, not UTF-16 units).
/// </summary>
public static class StorableText
{
    /// <summary>The string, or null when it is not a JSON string or cannot be stored.</summary>
    public static string? Read(JsonElement element)
    {
        string text;
        try
        {
            text = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return null;
        }

        return IsClean(text) ? text : null;
    }

    public static bool IsClean(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    public static int Length(string text) => text.EnumerateRunes().Count();
}
