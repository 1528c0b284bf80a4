namespace PaySessions.Grains.Customers;

/// <summary>
/// One merchant reference of one business in one mode, keyed by <see cref="CustomerKeys.ForReference"/>:
/// finds its customer or creates it. Calls for one reference are served one at a time, and the
/// store's unique (business, mode, reference) decides between silos, so concurrent creates with
/// one reference yield one customer. Once resolved, the answer comes from memory.
/// </summary>
[Alias("PaySessions.ICustomerReferenceGrain")]
public interface ICustomerReferenceGrain : IGrainWithStringKey
{
    [Alias("FindOrCreate")]
    Task<CustomerResolution> FindOrCreate(CustomerDetails details);
}

/// <summary>One customer, keyed by its id (<c>cust-…</c>); read from the store once, then from memory.</summary>
[Alias("PaySessions.ICustomerGrain")]
public interface ICustomerGrain : IGrainWithStringKey
{
    /// <summary>
    /// The customer when it belongs to <paramref name="businessId"/> in this mode; null when the
    /// id is unknown, another business's, or the other mode's (all "not found").
    /// </summary>
    [Alias("Find")]
    Task<Customer?> Find(string businessId, bool livemode);
}

public static class CustomerKeys
{
    /// <summary>
    /// The key of a reference grain. The business id is length-prefixed so no business id or
    /// reference (any characters) can make two different triples share a key.
    /// </summary>
    public static string ForReference(string businessId, bool livemode, string referenceId) =>
        $"{(livemode ? "live" : "test")}/{businessId.Length}:{businessId}/{referenceId}";

    /// <summary>Reads back what <see cref="ForReference"/> wrote.</summary>
    public static bool TryParseReference(string key, out string businessId, out bool livemode, out string referenceId)
    {
        businessId = referenceId = "";
        livemode = key.StartsWith("live/", StringComparison.Ordinal);
        if (!livemode && !key.StartsWith("test/", StringComparison.Ordinal))
        {
            return false;
        }

        var colon = key.IndexOf(':', 5);
        if (colon < 0 || !int.TryParse(key.AsSpan(5, colon - 5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
            || colon + 1 + length >= key.Length || key[colon + 1 + length] != '/')
        {
            return false;
        }

        businessId = key.Substring(colon + 1, length);
        referenceId = key[(colon + 2 + length)..];
        return businessId.Length > 0 && referenceId.Length > 0;
    }

    public static Task<CustomerResolution> FindOrCreateCustomer(this IGrainFactory grains, string businessId, bool livemode, CustomerDetails details) =>
        grains.GetGrain<ICustomerReferenceGrain>(ForReference(businessId, livemode, details.ReferenceId)).FindOrCreate(details);

    /// <summary>The customer of this business and mode, or null (also for an id that is not <c>cust-&lt;uuid&gt;</c>).</summary>
    public static Task<Customer?> FindCustomer(this IGrainFactory grains, string businessId, bool livemode, string customerId) =>
        CustomerIds.IsWellFormed(customerId)
            ? grains.GetGrain<ICustomerGrain>(customerId).Find(businessId, livemode)
            : Task.FromResult<Customer?>(null);
}
