using System.Diagnostics;
using Microsoft.Extensions.Caching.Memory;
using PaySessions.Grains.Merchants;

namespace PaySessions.Api.Merchants;

/// <summary>
/// What each key's grain last answered in this process, and when it was asked. Two uses:
/// <list type="bullet">
/// <item>A confirmation younger than <see cref="IApiKeyGrain.ConfirmationFreshness"/> answers
/// on its own: a busy key costs its grain about one call a second on each node instead of one
/// per request. Safe against revokes because the grain's revoke returns only once that long has
/// passed since the key stopped resolving, and the age is counted from when this process
/// <em>asked</em> (not when the answer came), so an answer given just before a revoke is stale
/// by the time the revoke returns.</item>
/// <item>An older one, up to <see cref="Lifetime"/>, is used only when the grain cannot be reached
/// (its silo just died and the membership has not yet moved it to a survivor): one node's death
/// does not lock every merchant whose key grain lived there out of the whole cluster. A revoke
/// cannot happen while the grain does not answer (the revoke goes through the same grain).</item>
/// </list>
/// Bounded in entries and in time, and only keys that resolved are ever stored.
/// </summary>
public sealed class ConfirmedKeyOwners : IDisposable
{
    public const int Capacity = 10_000;

    /// <summary>How old a confirmation may be and still stand in for an unreachable key grain.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    /// <summary>How long a request waits for the grain of a key with a recent confirmation (an active key grain answers in microseconds).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);

    private readonly MemoryCache _owners = new(new MemoryCacheOptions { SizeLimit = Capacity });

    /// <summary>A timestamp to take just before asking a key's grain, and to give to <see cref="Record"/> with its answer.</summary>
    public static long Now() => Stopwatch.GetTimestamp();

    /// <summary>Records what the key's grain answered to a question asked at <paramref name="askedAt"/>: an owner, or null (unknown or revoked: forgotten).</summary>
    public void Record(string keyHash, ApiKeyOwner? owner, long askedAt)
    {
        if (owner is null)
        {
            _owners.Remove(keyHash);
            return;
        }

        _owners.Set(keyHash, new Confirmation(owner, askedAt), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = Lifetime });
    }

    /// <summary>What the key's grain last answered within <see cref="Lifetime"/>, or null.</summary>
    public Confirmation? Find(string keyHash) => _owners.TryGetValue(keyHash, out Confirmation? confirmation) ? confirmation : null;

    public void Dispose() => _owners.Dispose();

    /// <summary>An owner the key's grain answered to a question asked at <paramref name="AskedAt"/> (<see cref="Now"/>).</summary>
    public sealed record Confirmation(ApiKeyOwner Owner, long AskedAt)
    {
        /// <summary>Asked less than <see cref="IApiKeyGrain.ConfirmationFreshness"/> ago: it may be used without asking again.</summary>
        public bool IsFresh => Stopwatch.GetElapsedTime(AskedAt) < IApiKeyGrain.ConfirmationFreshness;
    }
}
