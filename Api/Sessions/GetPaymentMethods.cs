using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.Sessions;

/// <summary><c>GET /session/{id}/payment-methods</c>: what the customer can pay this session with (either key of the owner).</summary>
public static class GetPaymentMethodsEndpoint
{
    public static Task<IResult> Handle(string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetPaymentMethods(Merchant.From(http.User), id), http.RequestAborted);
}

public sealed record GetPaymentMethods(Merchant Merchant, string SessionId) : IOwnedSessionRequest, IRetrySafeRequest
{
    public bool PublicKeyAllowed => true;
}

public sealed class GetPaymentMethodsHandler(IGrainFactory grains) : IRequestHandler<GetPaymentMethods, IResult>
{
    public async Task<IResult> Handle(GetPaymentMethods request, CancellationToken cancellationToken)
    {
        var methods = await grains.GetGrain<IPaymentSessionGrain>(request.SessionId).GetPaymentMethods();
        return TypedResults.Ok(new PaymentMethodsView(
            request.SessionId,
            [.. methods.Select(m => new PaymentMethodView(m.Id, m.Name, m.Provider, m.Kind == PaymentMethodKind.Redirect ? "redirect" : "embedded"))]));
    }
}

public sealed record PaymentMethodsView(string SessionId, IReadOnlyList<PaymentMethodView> PaymentMethods);

public sealed record PaymentMethodView(string Id, string Name, string Provider, string Type);
