using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.Sessions;

/// <summary><c>GET /session/{id}</c>: the session, for the secret key of the business that owns it.</summary>
public static class GetSessionEndpoint
{
    public static Task<IResult> Handle(string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetSession(Merchant.From(http.User), id), http.RequestAborted);
}

public sealed record GetSession(Merchant Merchant, string SessionId) : IRequest<IResult>;

public sealed class GetSessionHandler(IGrainFactory grains) : IRequestHandler<GetSession, IResult>
{
    public async Task<IResult> Handle(GetSession request, CancellationToken cancellationToken) =>
        await OwnedSession.Find(grains, request.Merchant, request.SessionId) is { } session
            ? TypedResults.Ok(SessionView.From(session))
            : ApiErrors.SessionNotFound();
}

/// <summary>The session as the Payviox-style API shows it.</summary>
public sealed record SessionView(
    string SessionId,
    string Status,
    long Amount,
    string Currency,
    string Customer,
    string OrderId,
    string? Description,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<SessionView.Item> Items,
    string? Ip,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string? PaymentMethodId,
    SessionView.PaymentView? Payment,
    bool RefundRequired)
{
    public static SessionView From(PaymentSessionSnapshot session) => new(
        session.SessionId,
        session.Status.ToName(),
        session.Amount,
        session.Currency,
        session.Customer,
        session.OrderId,
        session.Description,
        session.Metadata,
        [.. session.Items.Select(i => new Item(i.Name, i.Quantity, i.Price))],
        session.ClientIp,
        session.CreatedAt,
        session.ExpiresAt,
        session.PaymentMethodId,
        session.Payment is { } p ? new PaymentView(p.Provider, p.ProviderPaymentId, p.PaymentMethodId, p.CompletedAt) : null,
        session.RefundRequired);

    public sealed record Item(string Name, long Quantity, long Price);

    public sealed record PaymentView(string Provider, string ProviderPaymentId, string? PaymentMethodId, DateTimeOffset CompletedAt);
}

/// <summary>
/// A session the caller may see: its own business's, with the secret key (or either key where
/// <paramref name="publicKeyAllowed"/>). Anything else (a public key where a secret one is needed,
/// another business, an unknown or malformed id) is the same "not found", so ids cannot be probed.
/// </summary>
internal static class OwnedSession
{
    public static async Task<PaymentSessionSnapshot?> Find(IGrainFactory grains, Merchant merchant, string sessionId, bool publicKeyAllowed = false)
    {
        if ((!merchant.HasSecretKey && !publicKeyAllowed) || !SessionIds.IsWellFormed(sessionId))
        {
            return null;
        }

        var session = await grains.GetGrain<IPaymentSessionGrain>(sessionId).GetSnapshot();
        return session is not null && session.BusinessId == merchant.BusinessId ? session : null;
    }
}
