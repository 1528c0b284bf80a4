using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.Sessions;

/// <summary>A request about one session, allowed only to the business that owns it.</summary>
public interface IOwnedSessionRequest : IRequest<IResult>
{
    Merchant Merchant { get; }

    string SessionId { get; }

    /// <summary>Whether a public key may ask (payment methods, pay); otherwise the secret key is needed.</summary>
    bool PublicKeyAllowed => false;

    /// <summary>The dialect the route serves (null: any); a session of the other one is "not found" there.</summary>
    SessionDialect? Dialect => null;
}

/// <summary>
/// Answers 404 before the handler runs unless the caller owns the session: its own business's,
/// with the right kind of key. A public key where a secret one is needed, another business, an
/// unknown or a malformed id all get the same "not found", so ids cannot be probed.
/// </summary>
public sealed class OwnedSessionBehavior<TRequest>(IGrainFactory grains, OwnedSessionAccess access) : IPipelineBehavior<TRequest, IResult>
    where TRequest : IOwnedSessionRequest
{
    public async Task<IResult> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<IResult> next)
    {
        if ((!request.Merchant.HasSecretKey && !request.PublicKeyAllowed) || !SessionIds.IsWellFormed(request.SessionId))
        {
            return ApiErrors.SessionNotFound();
        }

        var session = await grains.Get<IPaymentSessionGrain>(request.SessionId).GetSnapshot();
        // Test and live are separate worlds: a key of the other mode gets the same "not found" as
        // another business, so a test key cannot even learn that a live session id exists.
        if (session is null || session.BusinessId != request.Merchant.BusinessId || session.Livemode != request.Merchant.Livemode
            || (request.Dialect is { } dialect && session.Dialect != dialect))
        {
            return ApiErrors.SessionNotFound();
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
