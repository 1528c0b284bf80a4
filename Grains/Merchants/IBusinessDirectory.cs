namespace PaySessions.Grains.Merchants;

/// <summary>
/// The list of registered businesses, so operators can enumerate them (grain storage cannot be
/// listed). Only <see cref="BusinessGrain"/> writes it, when a business registers; the business's
/// settings stay in its grain.
/// </summary>
public interface IBusinessDirectory
{
    /// <summary>
    /// Records the business, and its parent when it is a sub-account; does nothing when it is
    /// already listed (a business's parent is fixed when it is created).
    /// </summary>
    Task AddAsync(string businessId, DateTimeOffset registeredAt, string? parentBusinessId = null, CancellationToken cancellationToken = default);

    /// <summary>The listed sub-accounts of <paramref name="parentBusinessId"/>.</summary>
    Task<IReadOnlyList<string>> SubAccountsOfAsync(string parentBusinessId, CancellationToken cancellationToken = default);

    /// <summary>Every listed business id, oldest registration first.</summary>
    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default);
}
