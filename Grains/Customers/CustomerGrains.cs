namespace PaySessions.Grains.Customers;

/// <summary>
/// Finds or creates the customer of one (business, mode, reference). Turns of one activation run
/// one at a time, so concurrent creates through it wait for the first; the table's unique
/// reference decides between activations on different silos. The answer is then kept in memory:
/// a session that names a known customer costs no database read.
/// </summary>
public sealed class CustomerReferenceGrain(ICustomerStore store, TimeProvider clock) : Grain, ICustomerReferenceGrain
{
    private Customer? _customer;

    public async Task<CustomerResolution> FindOrCreate(CustomerDetails details)
    {
        if (!CustomerKeys.TryParseReference(this.GetPrimaryKeyString(), out var businessId, out var livemode, out var referenceId)
            || !string.Equals(referenceId, details.ReferenceId, StringComparison.Ordinal))
        {
            throw new ArgumentException("The customer's reference_id is not the one this grain is keyed by.", nameof(details));
        }

        if (_customer is { } known)
        {
            return new CustomerResolution(known, Created: false, SameDetails: known.Details == details);
        }

        var (stored, inserted) = await store.InsertOrGetAsync(new Customer(CustomerIds.New(), businessId, livemode, clock.GetUtcNow(), details));
        _customer = stored;
        return new CustomerResolution(stored, inserted, SameDetails: stored.Details == details);
    }
}

/// <summary>
/// One customer by id. A found customer is kept in memory (customers are never changed or removed
/// here); an unknown id is not remembered, so a customer created later is found.
/// </summary>
public sealed class CustomerGrain(ICustomerStore store) : Grain, ICustomerGrain
{
    private Customer? _customer;

    public async Task<Customer?> Find(string businessId, bool livemode)
    {
        _customer ??= await store.GetAsync(this.GetPrimaryKeyString());
        return _customer is { } customer
            && string.Equals(customer.BusinessId, businessId, StringComparison.Ordinal)
            && customer.Livemode == livemode
                ? customer
                : null;
    }
}
