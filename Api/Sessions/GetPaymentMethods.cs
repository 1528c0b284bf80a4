using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;
using GetPaymentMethodsAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Api.Sessions.PaymentMethodsView>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Http.ApiErrors.ErrorBody>>;
using GetSessionPaymentsAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<System.Collections.Generic.IReadOnlyList<PaySessions.Api.Sessions.SessionPaymentMethodView>>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Http.ApiErrors.ErrorBody>>;

namespace PaySessions.Api.Sessions;

/// <summary>
/// What the customer can pay one session with (either key of the owner), in two forms over one
/// handler: <c>GET /session/{id}/payments</c>, Payviox's array of <c>{id, name, type}</c>, and
/// <c>GET /session/{id}/payment-methods</c>, this service's older object with the provider.
/// </summary>
public static class GetPaymentMethodsEndpoint
{
    public static Task<GetPaymentMethodsAnswer> Handle(string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetPaymentMethods(Merchant.From(http.User), id), http.RequestAborted);

    public static Task<GetSessionPaymentsAnswer> HandlePayviox(string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetSessionPayments(Merchant.From(http.User), id), http.RequestAborted);
}

/// <summary><c>{"session_id","payment_methods":[{"id","name","provider","type"}]}</c>.</summary>
public sealed record GetPaymentMethods(Merchant Merchant, string SessionId) : IOwnedSessionRequest<GetPaymentMethodsAnswer>, IRetrySafeRequest
{
    public bool PublicKeyAllowed => true;

    public static GetPaymentMethodsAnswer SessionNotFound() => ApiErrors.SessionNotFound();
}

/// <summary><c>[{"id","name","type"}]</c>, as Payviox documents <c>/session/{id}/payments</c>.</summary>
public sealed record GetSessionPayments(Merchant Merchant, string SessionId) : IOwnedSessionRequest<GetSessionPaymentsAnswer>, IRetrySafeRequest
{
    public bool PublicKeyAllowed => true;

    public static GetSessionPaymentsAnswer SessionNotFound() => ApiErrors.SessionNotFound();
}

public sealed class GetPaymentMethodsHandler(IGrainFactory grains)
    : IRequestHandler<GetPaymentMethods, GetPaymentMethodsAnswer>, IRequestHandler<GetSessionPayments, GetSessionPaymentsAnswer>
{
    public async Task<GetPaymentMethodsAnswer> Handle(GetPaymentMethods request, CancellationToken cancellationToken)
    {
        var methods = await grains.Get<IPaymentSessionGrain>(request.SessionId).GetPaymentMethods();
        return TypedResults.Ok(new PaymentMethodsView(
            request.SessionId,
            [.. methods.Select(m => new PaymentMethodView(m.Id, m.Name, m.Provider, TypeOf(m)))]));
    }

    public async Task<GetSessionPaymentsAnswer> Handle(GetSessionPayments request, CancellationToken cancellationToken)
    {
        var methods = await grains.Get<IPaymentSessionGrain>(request.SessionId).GetPaymentMethods();
        return TypedResults.Ok<IReadOnlyList<SessionPaymentMethodView>>([.. methods.Select(m => new SessionPaymentMethodView(m.Id, m.Name, TypeOf(m)))]);
    }

    private static string TypeOf(AvailablePaymentMethod method) => method.Kind == PaymentMethodKind.Redirect ? "redirect" : "embedded";
}

public sealed record PaymentMethodsView(string SessionId, IReadOnlyList<PaymentMethodView> PaymentMethods);

public sealed record PaymentMethodView(string Id, string Name, string Provider, string Type);

public sealed record SessionPaymentMethodView(string Id, string Name, string Type);
