using Microsoft.Extensions.Caching.Memory;
using PaySessions.Grains.Merchants;

namespace PaySessions.Api.Merchants;

/// <summary>
/// What each key's grain last answered in this process, used only when that grain cannot be
/// reached (its silo just died and the membership has not yet moved it to a survivor): then a
/// key the grain confirmed within <see cref="Lifetime"/> still authenticates, so one node's death
/// does not lock every merchant whose key grain lived there out of the whole cluster. The grain is
/// asked first on every request, so a revoke takes effect at once whenever the grain answers; a
/// revoke cannot happen while it does not (the revoke goes through the same grain). Bounded in
/// entries and in time, and only keys that resolved are ever stored.
/// </summary>
public sealed class ConfirmedKeyOwners : IDisposable
{
    public const int Capacity = 10_000;

    /// <summary>How old a confirmation may be and still stand in for an unreachable key grain.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    /// <summary>How long a request waits for the grain of a key with a recent confirmation (an active key grain answers in microseconds).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);

    private readonly MemoryCache _owners = new(new MemoryCacheOptions { SizeLimit = Capacity });

    /// <summary>Records what the key's grain answered: an owner, or null (unknown or revoked: forgotten).</summary>
    public void Record(string keyHash, ApiKeyOwner? owner)
    {
        if (owner is null)
        {
            _owners.Remove(keyHash);
            return;
        }

        _owners.Set(keyHash, owner, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = Lifetime });
    }

    public bool TryGetRecent(string keyHash, out ApiKeyOwner? owner) => _owners.TryGetValue(keyHash, out owner) && owner is not null;

    public void Dispose() => _owners.Dispose();
}
