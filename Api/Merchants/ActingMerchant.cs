using Microsoft.AspNetCore.Http;

namespace PaySessions.Api.Merchants;

/// <summary>
/// The business a request acts as: the key's own, unless a filter of its route (the Xendit
/// dialect's <c>for-user-id</c>) has put a sub-account in its place. Cross-cutting code that must
/// tell requests of different acting businesses apart (idempotency keys) reads it here.
/// </summary>
public static class ActingMerchant
{
    private static readonly object ItemKey = new();

    /// <summary>The acting business: the one a filter declared, else the key's.</summary>
    public static Merchant Of(HttpContext http) => Declared(http) ?? Merchant.From(http.User);

    /// <summary>The acting business a filter declared, or null when none did.</summary>
    public static Merchant? Declared(HttpContext http) => http.Items[ItemKey] as Merchant;

    public static void Declare(HttpContext http, Merchant acting) => http.Items[ItemKey] = acting;
}
