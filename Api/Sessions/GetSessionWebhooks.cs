using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;
using GetSessionWebhooksAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Api.Sessions.WebhooksView>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Http.ApiErrors.ErrorBody>>;

namespace PaySessions.Api.Sessions;

/// <summary><c>GET /session/{id}/webhooks</c>: the merchant webhooks of a session and each delivery attempt (secret key of the owner).</summary>
public static class GetSessionWebhooksEndpoint
{
    public static Task<GetSessionWebhooksAnswer> Handle(string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetSessionWebhooks(Merchant.From(http.User), id), http.RequestAborted);
}

public sealed record GetSessionWebhooks(Merchant Merchant, string SessionId) : IOwnedSessionRequest<GetSessionWebhooksAnswer>, IRetrySafeRequest
{
    public static GetSessionWebhooksAnswer SessionNotFound() => ApiErrors.SessionNotFound();
}

public sealed class GetSessionWebhooksHandler(IGrainFactory grains) : IRequestHandler<GetSessionWebhooks, GetSessionWebhooksAnswer>
{
    public async Task<GetSessionWebhooksAnswer> Handle(GetSessionWebhooks request, CancellationToken cancellationToken)
    {
        var deliveries = await grains.GetGrain<IPaymentSessionGrain>(request.SessionId).GetWebhookDeliveries();
        return TypedResults.Ok(new WebhooksView(request.SessionId, deliveries));
    }
}

public sealed record WebhooksView(string SessionId, IReadOnlyList<WebhookDelivery> Webhooks);
