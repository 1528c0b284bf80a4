namespace PaySessions.Grains.Businesses;

/// <summary>
/// A business's settings: small, rarely written, read on every request through a cache later,
/// so plain ADO.NET grain storage rather than an event log.
/// </summary>
public sealed class BusinessGrain(
    [PersistentState("business", StorageNames.Businesses)] IPersistentState<BusinessGrain.BusinessRecord> record,
    TimeProvider clock)
    : Grain, IBusinessGrain
{
    public async Task<BusinessProfile> Register(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (record.RecordExists)
        {
            return Profile();
        }

        record.State = new BusinessRecord { Name = name, CreatedAt = clock.GetUtcNow() };
        await record.WriteStateAsync();
        return Profile();
    }

    public Task<BusinessProfile?> GetProfile() =>
        Task.FromResult(record.RecordExists ? Profile() : null);

    private BusinessProfile Profile() => new(this.GetPrimaryKeyString(), record.State.Name, record.State.CreatedAt);

    [GenerateSerializer]
    [Alias("PaySessions.BusinessRecord")]
    public sealed class BusinessRecord
    {
        [Id(0)]
        public string Name { get; set; } = "";

        [Id(1)]
        public DateTimeOffset CreatedAt { get; set; }
    }
}
