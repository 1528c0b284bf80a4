namespace PaySessions.Grains.Customers;

/// <summary>Where customers are kept (the <c>customers</c> table); only the customer grains use it.</summary>
public interface ICustomerStore
{
    /// <summary>
    /// Stores <paramref name="candidate"/> unless its business already has a customer with that
    /// reference in that mode; answers the stored customer either way, and whether it was this one.
    /// </summary>
    Task<(Customer Stored, bool Inserted)> InsertOrGetAsync(Customer candidate, CancellationToken cancellationToken = default);

    /// <summary>The customer with this id, or null.</summary>
    Task<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default);
}
