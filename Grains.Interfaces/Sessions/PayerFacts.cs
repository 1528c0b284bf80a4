using System.Text;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// The payer's facts recorded on <c>PaymentInitiated</c>: the address the attempt came from and the
/// browser's user agent. Personal data: stored and shown to the session's owner, never logged.
/// </summary>
public static class PayerFacts
{
    /// <summary>
    /// The most of a user agent that is kept. Real browsers send 100 to 300 characters; the rest of
    /// a longer header is cut off rather than refused, since the payment must not fail over it.
    /// </summary>
    public const int MaxUserAgentLength = 512;

    /// <summary>
    /// A user agent as it is stored: control characters and unpaired surrogates dropped (they cannot
    /// be stored as text or would garble a log or a page), surrounding spaces trimmed, at most
    /// <see cref="MaxUserAgentLength"/> UTF-16 units without splitting a character; null when nothing is left.
    /// </summary>
    public static string? UserAgent(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        var kept = new StringBuilder(Math.Min(header.Length, MaxUserAgentLength));
        foreach (var rune in Runes(header))
        {
            if (Rune.IsControl(rune))
            {
                continue;
            }

            if (kept.Length + rune.Utf16SequenceLength > MaxUserAgentLength)
            {
                break;
            }

            kept.Append(rune.ToString());
        }

        var text = kept.ToString().Trim();
        return text.Length == 0 ? null : text;
    }

    // The text's characters, skipping unpaired surrogates (EnumerateRunes would turn them into U+FFFD).
    private static IEnumerable<Rune> Runes(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (Rune.TryGetRuneAt(text, i, out var rune))
            {
                yield return rune;
                i += rune.Utf16SequenceLength - 1;
            }
        }
    }
}
