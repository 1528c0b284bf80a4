using Microsoft.Extensions.Options;

namespace PaySessions.Grains.Idempotency;

/// <summary>
/// One idempotency key of one business and mode. It remembers the row as it last saw or wrote it:
/// a completed answer does not change until it expires, so replays come from memory; a claim held
/// by this activation answers racing requests at once (409 or 422) without the database. Anything
/// else (no memory, a lock that ran out, an expiry) goes to the table, which decides between nodes.
/// </summary>
public sealed class IdempotencyKeyGrain(IIdempotencyStore store, IOptions<IdempotencyOptions> options, TimeProvider clock)
    : Grain, IIdempotencyKeyGrain
{
    private IdempotencyScope? _scope;
    private IdempotencyRecord? _known;

    private IdempotencyScope Scope => _scope ??= IdempotencyKeys.TryParseGrainKey(this.GetPrimaryKeyString(), out var businessId, out var livemode, out var key)
        ? new IdempotencyScope(businessId, livemode, key)
        : throw new InvalidOperationException("An idempotency key grain's key is not one IdempotencyKeys.GrainKey made.");

    public async Task<IdempotencyClaim> Begin(byte[] fingerprint, Guid claim)
    {
        if (fingerprint is not { Length: IdempotencyKeys.FingerprintLength })
        {
            throw new ArgumentException($"A fingerprint is {IdempotencyKeys.FingerprintLength} bytes.", nameof(fingerprint));
        }

        var now = clock.GetUtcNow();
        if (_known is { } known && StillCounts(known, now))
        {
            return Decide(known, fingerprint, claim);
        }

        var settings = options.Value;
        var candidate = new IdempotencyRecord(fingerprint, claim, now + settings.Retention, now + settings.LockTimeout, Answer: null);
        _known = await store.ClaimAsync(Scope, candidate, now);
        return Decide(_known, fingerprint, claim);
    }

    public async Task<bool> Complete(Guid claim, IdempotentAnswer answer)
    {
        var stored = await store.CompleteAsync(Scope, claim, answer, clock.GetUtcNow());
        _known = stored && _known is { } known && known.Claim == claim
            ? known with { LockedUntil = null, Answer = answer }
            : null;
        return stored;
    }

    public async Task Release(Guid claim)
    {
        _known = null;
        await store.ReleaseAsync(Scope, claim);
    }

    // What memory may answer alone: an unexpired answer, or a claim whose lock has not run out.
    private static bool StillCounts(IdempotencyRecord known, DateTimeOffset now) =>
        known.ExpiresAt > now && (known.Answer is not null || known.LockedUntil > now);

    private static IdempotencyClaim Decide(IdempotencyRecord record, byte[] fingerprint, Guid claim)
    {
        if (record.Answer is null && record.Claim == claim)
        {
            return new IdempotencyClaim(IdempotencyOutcome.Proceed);
        }

        if (!record.SameRequest(fingerprint))
        {
            return new IdempotencyClaim(IdempotencyOutcome.Mismatch);
        }

        return record.Answer is { } answer
            ? new IdempotencyClaim(IdempotencyOutcome.Replay, answer)
            : new IdempotencyClaim(IdempotencyOutcome.InProgress);
    }
}
