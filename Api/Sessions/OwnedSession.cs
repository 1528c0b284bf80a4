using MediatR;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.Sessions;

/// <summary>A request about one session, allowed only to the business that owns it.</summary>
/// <remarks>Implement it through <see cref="IOwnedSessionRequest{TResponse}"/>, which says how the refusal is answered.</remarks>
public interface IOwnedSessionRequest
{
    Merchant Merchant { get; }

    string SessionId { get; }

    /// <summary>Whether a public key may ask (payment methods, pay); otherwise the secret key is needed.</summary>
    bool PublicKeyAllowed => false;

    /// <summary>The dialect the route serves (null: any); a session of the other one is "not found" there.</summary>
    SessionDialect? Dialect => null;
}

/// <summary>
/// An owned-session request whose answer is the typed <typeparamref name="TResponse"/> (a
/// <c>Results&lt;…&gt;</c> with every status of the route): it names the "not found" the owner
/// check answers in place of the handler, in the route's dialect, so that the refusal is one of
/// the answers the route's type (and so the API description) lists.
/// </summary>
public interface IOwnedSessionRequest<TResponse> : IOwnedSessionRequest, IRequest<TResponse>
{
    /// <summary>The route's 404 for a session that is not the caller's (unknown, another's, the other mode's or dialect's).</summary>
    static abstract TResponse SessionNotFound();
}

/// <summary>
/// Answers 404 before the handler runs unless the caller owns the session: its own business's,
/// with the right kind of key. A public key where a secret one is needed, another business, an
/// unknown or a malformed id all get the same "not found", so ids cannot be probed.
/// </summary>
public sealed class OwnedSessionBehavior<TRequest, TResponse>(IGrainFactory grains, OwnedSessionAccess access) : IPipelineBehavior<TRequest, TResponse>
    where TRequest : IOwnedSessionRequest<TResponse>
{
    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        if ((!request.Merchant.HasSecretKey && !request.PublicKeyAllowed) || !SessionIds.IsWellFormed(request.SessionId))
        {
            return TRequest.SessionNotFound();
        }

        var session = await grains.Get<IPaymentSessionGrain>(request.SessionId).GetSnapshot();
        // Test and live are separate worlds: a key of the other mode gets the same "not found" as
        // another business, so a test key cannot even learn that a live session id exists.
        if (session is null || session.BusinessId != request.Merchant.BusinessId || session.Livemode != request.Merchant.Livemode
            || (request.Dialect is { } dialect && session.Dialect != dialect))
        {
            return TRequest.SessionNotFound();
        }

        access.Session = session;
        return await next();
    }
}

/// <summary>The snapshot the ownership check read, for the handler of the same request (scoped per request).</summary>
public sealed class OwnedSessionAccess
{
    public PaymentSessionSnapshot? Session { get; set; }
}
