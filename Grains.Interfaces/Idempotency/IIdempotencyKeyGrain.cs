namespace PaySessions.Grains.Idempotency;

/// <summary>
/// One merchant's <c>Idempotency-Key</c>, keyed by <see cref="IdempotencyKeys.GrainKey"/> (the
/// key's business, its mode and the key). A request claims the key with <see cref="Begin"/>, runs,
/// then stores its answer with <see cref="Complete"/> or gives the key back with
/// <see cref="Release"/>. Turns of one activation run one at a time, so requests that race with one
/// key are decided here without a database round trip each; the <c>idempotency_keys</c> table is
/// the record every node (and the next activation) answers from, and its primary key decides
/// between activations on different silos.
/// </summary>
[Alias("PaySessions.IIdempotencyKeyGrain")]
public interface IIdempotencyKeyGrain : IGrainWithStringKey
{
    /// <summary>
    /// Claims the key for the request with <paramref name="fingerprint"/> (see
    /// <see cref="IdempotencyKeys.FingerprintLength"/>) under <paramref name="claim"/>, a token the
    /// caller made: asked again with the same token (a retry of this very call), it answers
    /// <see cref="IdempotencyOutcome.Proceed"/> again.
    /// </summary>
    [Alias("Begin")]
    Task<IdempotencyClaim> Begin(byte[] fingerprint, Guid claim);

    /// <summary>Stores the answer of the request that holds <paramref name="claim"/>; false when it no longer held the key.</summary>
    [Alias("Complete")]
    Task<bool> Complete(Guid claim, IdempotentAnswer answer);

    /// <summary>Gives the key back (the request failed in a way a retry may mend); nothing if <paramref name="claim"/> no longer holds it.</summary>
    [Alias("Release")]
    Task Release(Guid claim);
}

/// <summary>What a request with an idempotency key may do.</summary>
public enum IdempotencyOutcome
{
    /// <summary>The key is the request's: run it, then complete or release.</summary>
    Proceed = 0,

    /// <summary>The same request was answered before: send <see cref="IdempotencyClaim.Answer"/> again.</summary>
    Replay = 1,

    /// <summary>The same request is running now (another try of it holds the key).</summary>
    InProgress = 2,

    /// <summary>The key was used with another request (body, route, method or acting business).</summary>
    Mismatch = 3,
}

[Immutable]
[GenerateSerializer]
[Alias("PaySessions.IdempotencyClaim")]
public sealed record IdempotencyClaim(
    [property: Id(75)] IdempotencyOutcome Outcome,
    [property: Id(76)] IdempotentAnswer? Answer = null);

/// <summary>
/// The stored answer of a request: its status, content type, <c>Location</c> (of a 201) and body
/// bytes, sent again byte for byte to every replay.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.IdempotentAnswer")]
public sealed record IdempotentAnswer(
    [property: Id(75)] int Status,
    [property: Id(76)] string? ContentType,
    [property: Id(77)] string? Location,
    [property: Id(78)] byte[] Body);

public static class IdempotencyKeys
{
    /// <summary>The longest key a merchant may send.</summary>
    public const int MaxLength = 255;

    /// <summary>A request's fingerprint is a SHA-256.</summary>
    public const int FingerprintLength = 32;

    /// <summary>1 to 255 visible ASCII characters (<c>!</c> to <c>~</c>): no spaces, controls or other text.</summary>
    public static bool IsWellFormed(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in key)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The grain key of one merchant key: mode, then the business id length-prefixed, so no
    /// business id or key (any characters) can make two different triples share a grain.
    /// </summary>
    public static string GrainKey(string businessId, bool livemode, string key) =>
        $"{(livemode ? "live" : "test")}/{businessId.Length}:{businessId}/{key}";

    /// <summary>Reads back what <see cref="GrainKey"/> wrote.</summary>
    public static bool TryParseGrainKey(string grainKey, out string businessId, out bool livemode, out string key)
    {
        businessId = key = "";
        livemode = grainKey.StartsWith("live/", StringComparison.Ordinal);
        if (!livemode && !grainKey.StartsWith("test/", StringComparison.Ordinal))
        {
            return false;
        }

        var colon = grainKey.IndexOf(':', 5);
        if (colon < 0
            || !int.TryParse(grainKey.AsSpan(5, colon - 5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
            || colon + 1 + length >= grainKey.Length
            || grainKey[colon + 1 + length] != '/')
        {
            return false;
        }

        businessId = grainKey.Substring(colon + 1, length);
        key = grainKey[(colon + 2 + length)..];
        return businessId.Length > 0 && IsWellFormed(key);
    }
}
