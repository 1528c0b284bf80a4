using System.Text.Json;
using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;
using GetSessionEventsAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Api.Sessions.EventLogView>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Http.ApiErrors.ErrorBody>>;

namespace PaySessions.Api.Sessions;

/// <summary><c>GET /session/{id}/events</c>: the session's event log, oldest first.</summary>
public static class GetSessionEventsEndpoint
{
    public static Task<GetSessionEventsAnswer> Handle(string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetSessionEvents(Merchant.From(http.User), id), http.RequestAborted);
}

public sealed record GetSessionEvents(Merchant Merchant, string SessionId) : IOwnedSessionRequest<GetSessionEventsAnswer>, IRetrySafeRequest
{
    public static GetSessionEventsAnswer SessionNotFound() => ApiErrors.SessionNotFound();
}

public sealed class GetSessionEventsHandler(IGrainFactory grains) : IRequestHandler<GetSessionEvents, GetSessionEventsAnswer>
{
    public async Task<GetSessionEventsAnswer> Handle(GetSessionEvents request, CancellationToken cancellationToken)
    {
        var events = await grains.GetGrain<IPaymentSessionGrain>(request.SessionId).GetEvents();
        return TypedResults.Ok(new EventLogView(
            request.SessionId,
            [.. events.Select(e => new EventView(e.Version, e.Type, e.OccurredAt, JsonDocument.Parse(e.Data).RootElement))]));
    }
}

public sealed record EventLogView(string SessionId, IReadOnlyList<EventView> Events);

public sealed record EventView(int Version, string Type, DateTimeOffset Time, JsonElement Data);
