using Orleans.Concurrency;

namespace PaySessions.Grains.Merchants;

/// <summary>
/// One API key, keyed by the SHA-256 hex of the key (the key itself is never a grain id, never
/// stored, never logged). The activation keeps the answer in memory, so resolving a key costs no
/// database round trip after the first request. The front door of each node may reuse an answer
/// for up to <see cref="ConfirmationFreshness"/> after asking; <see cref="Revoke"/> returns only
/// once that long has passed since the key stopped resolving, so when it returns no node takes
/// the key any more.
/// </summary>
[Alias("PaySessions.IApiKeyGrain")]
public interface IApiKeyGrain : IGrainWithStringKey
{
    /// <summary>
    /// How long after asking a caller may go on using an owner this grain answered without asking
    /// again. One second keeps a busy key to about one grain call a second per node.
    /// </summary>
    public static readonly TimeSpan ConfirmationFreshness = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The owner of an active key, or null for an unknown or revoked one. A pure read of the
    /// activation's memory, so it is answered even while a revoke waits out the freshness of
    /// earlier answers.
    /// </summary>
    [Alias("Resolve")]
    [AlwaysInterleave]
    Task<ApiKeyOwner?> Resolve();

    [Alias("Assign")]
    Task Assign(string businessId, ApiKeyKind kind, ApiKeyMode mode);

    /// <summary>
    /// Stops the key resolving, then waits out <see cref="ConfirmationFreshness"/> (and a margin)
    /// so that every answer given before it has gone stale on every node when this returns.
    /// </summary>
    [Alias("Revoke")]
    Task Revoke();
}

[Immutable]
[GenerateSerializer]
[Alias("PaySessions.ApiKeyOwner")]
public sealed record ApiKeyOwner(
    [property: Id(0)] string BusinessId,
    [property: Id(1)] ApiKeyKind Kind,
    [property: Id(2)] ApiKeyMode Mode);
