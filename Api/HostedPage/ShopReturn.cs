using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.HostedPage;

/// <summary>
/// Where the hosted page sends a customer back to the shop after a completed payment: a
/// Xendit-style session's own <c>success_return_url</c>, or for a Payviox-style session the
/// business's return URL (<c>merchants set-return-url</c>) with <c>session_id</c> added, as
/// Payviox's sample success page expects.
/// </summary>
public static class ShopReturn
{
    public const string SessionIdParameter = "session_id";

    /// <summary>The address for a completed session, or null when the shop gave none.</summary>
    public static string? AfterCompletion(PaymentSessionSnapshot session, BusinessProfile? business)
    {
        if (session.Status != SessionStatus.Completed)
        {
            return null;
        }

        if (session.Dialect == SessionDialect.Xendit)
        {
            // https, checked at create; checked again here as it becomes a Location.
            return session.Xendit?.SuccessReturnUrl is { } success
                && Uri.TryCreate(success, UriKind.Absolute, out var shop) && shop.Scheme == Uri.UriSchemeHttps
                ? shop.AbsoluteUri
                : null;
        }

        return business?.ReturnUrl is { } returnUrl ? WithSessionId(returnUrl, session.SessionId) : null;
    }

    /// <summary>
    /// The URL with <c>session_id</c> added to its query: after the parameters it already has,
    /// before its fragment.
    /// </summary>
    public static string WithSessionId(string returnUrl, string sessionId)
    {
        var builder = new UriBuilder(returnUrl);
        var parameter = SessionIdParameter + "=" + Uri.EscapeDataString(sessionId);
        var query = builder.Query.TrimStart('?').TrimEnd('&');
        builder.Query = query.Length == 0 ? parameter : query + "&" + parameter;
        return builder.Uri.AbsoluteUri;
    }
}
