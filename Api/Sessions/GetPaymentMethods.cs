using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.Sessions;

/// <summary>
/// What the customer can pay one session with (either key of the owner), in two forms over one
/// handler: <c>GET /session/{id}/payments</c>, Payviox's array of <c>{id, name, type}</c>, and
/// <c>GET /session/{id}/payment-methods</c>, this service's older object with the provider.
/// </summary>
public static class GetPaymentMethodsEndpoint
{
    public static Task<IResult> Handle(string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetPaymentMethods(Merchant.From(http.User), id, PaymentMethodsForm.SessionObject), http.RequestAborted);

    public static Task<IResult> HandlePayviox(string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetPaymentMethods(Merchant.From(http.User), id, PaymentMethodsForm.PayvioxArray), http.RequestAborted);
}

public enum PaymentMethodsForm
{
    /// <summary><c>{"session_id","payment_methods":[{"id","name","provider","type"}]}</c>.</summary>
    SessionObject,

    /// <summary><c>[{"id","name","type"}]</c>, as Payviox documents <c>/session/{id}/payments</c>.</summary>
    PayvioxArray,
}

public sealed record GetPaymentMethods(Merchant Merchant, string SessionId, PaymentMethodsForm Form) : IOwnedSessionRequest, IRetrySafeRequest
{
    public bool PublicKeyAllowed => true;
}

public sealed class GetPaymentMethodsHandler(IGrainFactory grains) : IRequestHandler<GetPaymentMethods, IResult>
{
    public async Task<IResult> Handle(GetPaymentMethods request, CancellationToken cancellationToken)
    {
        var methods = await grains.Get<IPaymentSessionGrain>(request.SessionId).GetPaymentMethods();
        return request.Form == PaymentMethodsForm.PayvioxArray
            ? TypedResults.Ok<IReadOnlyList<SessionPaymentMethodView>>([.. methods.Select(m => new SessionPaymentMethodView(m.Id, m.Name, TypeOf(m)))])
            : TypedResults.Ok(new PaymentMethodsView(
                request.SessionId,
                [.. methods.Select(m => new PaymentMethodView(m.Id, m.Name, m.Provider, TypeOf(m)))]));
    }

    private static string TypeOf(AvailablePaymentMethod method) => method.Kind == PaymentMethodKind.Redirect ? "redirect" : "embedded";
}

public sealed record PaymentMethodsView(string SessionId, IReadOnlyList<PaymentMethodView> PaymentMethods);

public sealed record PaymentMethodView(string Id, string Name, string Provider, string Type);

public sealed record SessionPaymentMethodView(string Id, string Name, string Type);
