namespace PaySessions.Grains.Businesses;

/// <summary>A merchant business's settings, keyed by business id.</summary>
[Alias("PaySessions.IBusinessGrain")]
public interface IBusinessGrain : IGrainWithStringKey
{
    [Alias("Register")]
    Task<BusinessProfile> Register(string name);

    /// <summary>The business, or null when it was never registered.</summary>
    [Alias("GetProfile")]
    Task<BusinessProfile?> GetProfile();
}

[GenerateSerializer]
[Alias("PaySessions.BusinessProfile")]
public sealed record BusinessProfile(
    [property: Id(0)] string BusinessId,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset CreatedAt);
