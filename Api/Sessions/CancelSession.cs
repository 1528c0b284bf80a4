using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.Sessions;

/// <summary><c>POST /session/{id}/cancel</c>: the owner (secret key) ends an open session.</summary>
public static class CancelSessionEndpoint
{
    public static Task<IResult> Handle(string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new CancelSession(Merchant.From(http.User), id), http.RequestAborted);
}

public sealed record CancelSession(Merchant Merchant, string SessionId) : IOwnedSessionRequest;

public sealed class CancelSessionHandler(IGrainFactory grains) : IRequestHandler<CancelSession, IResult>
{
    public async Task<IResult> Handle(CancelSession request, CancellationToken cancellationToken)
    {
        var result = await grains.GetGrain<IPaymentSessionGrain>(request.SessionId).Cancel("requested_by_merchant");
        return result.Succeeded
            ? TypedResults.Ok(SessionView.From(result.Session!))
            : ApiErrors.Error(StatusCodes.Status409Conflict, result.Error!);
    }
}
