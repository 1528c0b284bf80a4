using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;
using CancelSessionAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Api.Sessions.SessionView>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Http.ApiErrors.ErrorBody>, Microsoft.AspNetCore.Http.HttpResults.Conflict<PaySessions.Api.Http.ApiErrors.ErrorBody>>;

namespace PaySessions.Api.Sessions;

/// <summary><c>POST /session/{id}/cancel</c>: the owner (secret key) ends an open session.</summary>
public static class CancelSessionEndpoint
{
    public static Task<CancelSessionAnswer> Handle(string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new CancelSession(Merchant.From(http.User), id), http.RequestAborted);
}

public sealed record CancelSession(Merchant Merchant, string SessionId) : IOwnedSessionRequest<CancelSessionAnswer>
{
    public static CancelSessionAnswer SessionNotFound() => ApiErrors.SessionNotFound();
}

public sealed class CancelSessionHandler(IGrainFactory grains) : IRequestHandler<CancelSession, CancelSessionAnswer>
{
    public async Task<CancelSessionAnswer> Handle(CancelSession request, CancellationToken cancellationToken)
    {
        var result = await grains.GetGrain<IPaymentSessionGrain>(request.SessionId).Cancel("requested_by_merchant");
        return result.Succeeded
            ? TypedResults.Ok(SessionView.From(result.Session!))
            : ApiErrors.Conflict(result.Error!);
    }
}
