using System.Diagnostics;
using System.Security.Cryptography;
using PaySessions.Grains.Storage;

namespace PaySessions.Grains.Merchants;

/// <summary>
/// One API key, keyed by its SHA-256 hex. Requests resolve keys here, from memory once the
/// activation is up; unknown keys are answered the same way as revoked ones.
/// </summary>
public sealed class ApiKeyGrain(
    [PersistentState("apikey", StorageNames.Merchants)] IPersistentState<ApiKeyGrain.ApiKeyRecord> record,
    TimeProvider clock)
    : Grain, IApiKeyGrain
{
    public Task<ApiKeyOwner?> Resolve()
    {
        var state = record.State;
        if (!record.RecordExists || state.RevokedAt is not null || !HoldsThisKey(state))
        {
            return Task.FromResult<ApiKeyOwner?>(null);
        }

        return Task.FromResult<ApiKeyOwner?>(new ApiKeyOwner(state.BusinessId, state.Kind, state.Mode));
    }

    public async Task Assign(string businessId, ApiKeyKind kind, ApiKeyMode mode)
    {
        if (record.RecordExists)
        {
            if (record.State.BusinessId != businessId)
            {
                throw new InvalidOperationException("This key already belongs to another business.");
            }

            return;
        }

        record.State = new ApiKeyRecord
        {
            BusinessId = businessId,
            Kind = kind,
            Mode = mode,
            Hash = Convert.FromHexString(this.GetPrimaryKeyString()),
            CreatedAt = clock.GetUtcNow(),
        };
        await record.WriteStateRetryingAsync();
    }

    public async Task Revoke()
    {
        if (!record.RecordExists)
        {
            return;
        }

        if (record.State.RevokedAt is null)
        {
            record.State.RevokedAt = clock.GetUtcNow();
            await record.WriteStateRetryingAsync();
            _revokedAt = Stopwatch.GetTimestamp();
        }

        // From here Resolve answers null (it interleaves with this wait). A front door that asked
        // before may reuse its answer for ConfirmationFreshness from the moment it asked; once
        // that has passed (with a margin for timers that fire late), no node accepts the key. A
        // second revoke during the wait waits for the rest of it too.
        var remaining = IApiKeyGrain.ConfirmationFreshness + RevokeMargin - Stopwatch.GetElapsedTime(_revokedAt);
        if (_revokedAt != 0 && remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining);
        }
    }

    private static readonly TimeSpan RevokeMargin = TimeSpan.FromMilliseconds(250);

    // When this activation revoked the key (Stopwatch ticks; 0: not in this activation's life).
    private long _revokedAt;

    // The grain id is the hash the caller computed from the presented key; the stored hash must
    // match it. Compared in constant time, as every comparison of key material is here.
    private bool HoldsThisKey(ApiKeyRecord state)
    {
        Span<byte> presented = stackalloc byte[32];
        return Convert.FromHexString(this.GetPrimaryKeyString(), presented, out _, out var written) == System.Buffers.OperationStatus.Done
            && written == 32
            && CryptographicOperations.FixedTimeEquals(presented, state.Hash);
    }

    [GenerateSerializer]
    [Alias("PaySessions.ApiKeyRecord")]
    public sealed class ApiKeyRecord
    {
        [Id(0)]
        public string BusinessId { get; set; } = "";

        [Id(1)]
        public ApiKeyKind Kind { get; set; }

        [Id(2)]
        public ApiKeyMode Mode { get; set; }

        [Id(3)]
        public byte[] Hash { get; set; } = [];

        [Id(4)]
        public DateTimeOffset CreatedAt { get; set; }

        [Id(5)]
        public DateTimeOffset? RevokedAt { get; set; }
    }
}
