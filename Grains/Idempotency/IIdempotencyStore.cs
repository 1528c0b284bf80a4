namespace PaySessions.Grains.Idempotency;

/// <summary>Where idempotency keys are kept (the <c>idempotency_keys</c> table); only the key grains and the purge use it.</summary>
public interface IIdempotencyStore
{
    /// <summary>
    /// Claims the key for <paramref name="candidate"/>'s fingerprint and claim token, unless a row
    /// that still counts holds it; answers the row as it stands afterwards (the candidate's own
    /// when it won). A row counts until it expires; an in-progress row past its lock may be taken
    /// over, but only by a request with the same fingerprint.
    /// </summary>
    Task<IdempotencyRecord> ClaimAsync(IdempotencyScope scope, IdempotencyRecord candidate, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Stores the answer of the claim <paramref name="claim"/>; false when that claim no longer holds the key.</summary>
    Task<bool> CompleteAsync(IdempotencyScope scope, Guid claim, IdempotentAnswer answer, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Deletes the in-progress row of the claim <paramref name="claim"/>, if it still holds the key.</summary>
    Task ReleaseAsync(IdempotencyScope scope, Guid claim, CancellationToken cancellationToken = default);

    /// <summary>Deletes up to <paramref name="limit"/> expired rows; answers how many.</summary>
    Task<int> PurgeExpiredAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);
}

/// <summary>Whose key: the API key's business and mode, and the key as sent.</summary>
public sealed record IdempotencyScope(string BusinessId, bool Livemode, string Key);

/// <summary>One row: in progress (<see cref="Answer"/> null, held until <see cref="LockedUntil"/>) or completed.</summary>
public sealed record IdempotencyRecord(
    byte[] Fingerprint,
    Guid Claim,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? LockedUntil,
    IdempotentAnswer? Answer)
{
    public bool SameRequest(byte[] fingerprint) => Fingerprint.AsSpan().SequenceEqual(fingerprint);
}
