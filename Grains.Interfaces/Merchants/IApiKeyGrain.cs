namespace PaySessions.Grains.Merchants;

/// <summary>
/// One API key, keyed by the SHA-256 hex of the key (the key itself is never a grain id, never
/// stored, never logged). The activation keeps the answer in memory, so resolving a key costs no
/// database round trip after the first request, and a revoke takes effect at once because it
/// changes this same activation.
/// </summary>
[Alias("PaySessions.IApiKeyGrain")]
public interface IApiKeyGrain : IGrainWithStringKey
{
    /// <summary>The owner of an active key, or null for an unknown or revoked one.</summary>
    [Alias("Resolve")]
    Task<ApiKeyOwner?> Resolve();

    [Alias("Assign")]
    Task Assign(string businessId, ApiKeyKind kind, ApiKeyMode mode);

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
