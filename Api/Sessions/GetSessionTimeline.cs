using System.Text.Json;
using MediatR;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Api.Xendit;
using PaySessions.Grains.Sessions;
using GetSessionTimelineAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Api.Sessions.TimelineView>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Http.ApiErrors.ErrorBody>>;
using GetXenditSessionTimelineAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Api.Sessions.TimelineView>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Xendit.XenditErrors.ErrorBody>>;

namespace PaySessions.Api.Sessions;

/// <summary>
/// <c>GET /session/{id}/timeline</c> (and <c>GET /sessions/{payment_session_id}/timeline</c> in the
/// Xendit dialect, <c>for-user-id</c> honoured): the session's events, the provider callbacks
/// received for it, its merchant webhook attempts and redelivery requests, in time order, for the
/// business that owns it (secret key).
/// </summary>
public static class GetSessionTimelineEndpoint
{
    public static Task<GetSessionTimelineAnswer> Handle(string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetSessionTimeline(Merchant.From(http.User), id), http.RequestAborted);

    public static Task<GetXenditSessionTimelineAnswer> HandleXendit([FromRoute(Name = "payment_session_id")] string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetXenditSessionTimeline(XenditCaller.Of(http), id), http.RequestAborted);
}

/// <summary>The timeline on the Payviox route (a session of either dialect), its 404 in that dialect's shape.</summary>
public sealed record GetSessionTimeline(Merchant Merchant, string SessionId) : IOwnedSessionRequest<GetSessionTimelineAnswer>, IRetrySafeRequest
{
    public static GetSessionTimelineAnswer SessionNotFound() => ApiErrors.SessionNotFound();
}

/// <summary>The timeline on the Xendit route: Xendit-style sessions only, its 404 in that dialect's shape.</summary>
public sealed record GetXenditSessionTimeline(Merchant Merchant, string SessionId) : IOwnedSessionRequest<GetXenditSessionTimelineAnswer>, IRetrySafeRequest
{
    public SessionDialect? Dialect => SessionDialect.Xendit;

    public static GetXenditSessionTimelineAnswer SessionNotFound() => XenditErrors.SessionNotFound();
}

/// <summary>Both routes read the same timeline; only their refusals differ.</summary>
public sealed class GetSessionTimelineHandler(IGrainFactory grains)
    : IRequestHandler<GetSessionTimeline, GetSessionTimelineAnswer>, IRequestHandler<GetXenditSessionTimeline, GetXenditSessionTimelineAnswer>
{
    public async Task<GetSessionTimelineAnswer> Handle(GetSessionTimeline request, CancellationToken cancellationToken) =>
        TypedResults.Ok(await Read(request.SessionId));

    public async Task<GetXenditSessionTimelineAnswer> Handle(GetXenditSessionTimeline request, CancellationToken cancellationToken) =>
        TypedResults.Ok(await Read(request.SessionId));

    private async Task<TimelineView> Read(string sessionId)
    {
        var entries = await grains.Get<ISessionTimelineGrain>(sessionId).Read();
        return new TimelineView(sessionId, [.. entries.Select(TimelineEntryView.Of)]);
    }
}

public sealed record TimelineView(string SessionId, IReadOnlyList<TimelineEntryView> Timeline);

/// <summary>One line: <c>kind</c> names which one of the four parts is present (the others are left out).</summary>
public sealed record TimelineEntryView(
    DateTimeOffset At,
    string Kind,
    EventView? Event,
    ProviderCallbackView? ProviderCallback,
    WebhookAttemptView? WebhookAttempt,
    WebhookRedeliveryView? WebhookRedelivery)
{
    public static TimelineEntryView Of(TimelineEntry entry) => new(
        entry.At,
        entry.Kind,
        entry.Event is { } e ? new EventView(e.Version, e.Type, e.OccurredAt, JsonDocument.Parse(e.Data).RootElement) : null,
        entry.Callback is { } c ? new ProviderCallbackView(c.Provider, c.Outcome, c.Reason, c.Reference, c.Type, c.PaymentId) : null,
        entry.Attempt is { } a ? new WebhookAttemptView(a.WebhookId, a.Type, a.Attempt, a.StatusCode, a.DurationMs, a.Error) : null,
        entry.Redelivery is { } r ? new WebhookRedeliveryView(r.WebhookId, r.Type, r.RequestId, r.RequestedBy, r.Bulk, r.PreviousStatus) : null);
}

/// <summary>
/// A provider callback: <c>outcome</c> accepted (then <c>reason</c> says what it did: completed,
/// failure_recorded, late_payment_recorded, mismatch_recorded, ignored), duplicate, or rejected
/// (<c>reason</c>: bad_signature, malformed, unknown_reference). <c>reference</c>, <c>type</c> and
/// <c>payment_id</c> are what the body named, unverified for a rejected one.
/// </summary>
public sealed record ProviderCallbackView(string Provider, string Outcome, string? Reason, string? Reference, string? Type, string? PaymentId);

/// <summary>One HTTP attempt of a merchant webhook: <c>status_code</c> null when no answer came (then <c>error</c>).</summary>
public sealed record WebhookAttemptView(string WebhookId, string Type, int Attempt, int? StatusCode, int LatencyMs, string? Error);

/// <summary>A redelivery request: who asked (key prefix and SHA-256), in which call, single or bulk, and the status it found.</summary>
public sealed record WebhookRedeliveryView(string WebhookId, string Type, string RequestId, string RequestedBy, bool Bulk, string PreviousStatus);
