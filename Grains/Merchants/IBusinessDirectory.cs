namespace PaySessions.Grains.Merchants;

/// <summary>
/// The list of registered businesses, so operators can enumerate them (grain storage cannot be
/// listed). Only <see cref="BusinessGrain"/> writes it, when a business registers; the business's
/// settings stay in its grain.
/// </summary>
public interface IBusinessDirectory
{
    /// <summary>Records the business; does nothing when it is already listed.</summary>
    Task AddAsync(string businessId, DateTimeOffset registeredAt, CancellationToken cancellationToken = default);

    /// <summary>Every listed business id, oldest registration first.</summary>
    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default);
}
