using System.Text.Json;
using MediatR;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Api.Xendit;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.Sessions;

/// <summary>
/// <c>GET /session/{id}/timeline</c> (and <c>GET /sessions/{payment_session_id}/timeline</c> in the
/// Xendit dialect, <c>for-user-id</c> honoured): the session's events, the provider callbacks
/// received for it, its merchant webhook attempts and redelivery requests, in time order, for the
/// business that owns it (secret key).
/// </summary>
public static class GetSessionTimelineEndpoint
{
    public static Task<IResult> Handle(string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetSessionTimeline(Merchant.From(http.User), id, null), http.RequestAborted);

    public static Task<IResult> HandleXendit([FromRoute(Name = "payment_session_id")] string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetSessionTimeline(XenditCaller.Of(http), id, SessionDialect.Xendit), http.RequestAborted);
}

public sealed record GetSessionTimeline(Merchant Merchant, string SessionId, SessionDialect? Route) : IOwnedSessionRequest, IRetrySafeRequest
{
    public SessionDialect? Dialect => Route;
}

public sealed class GetSessionTimelineHandler(IGrainFactory grains) : IRequestHandler<GetSessionTimeline, IResult>
{
    public async Task<IResult> Handle(GetSessionTimeline request, CancellationToken cancellationToken)
    {
        var entries = await grains.Get<ISessionTimelineGrain>(request.SessionId).Read();
        return TypedResults.Ok(new TimelineView(request.SessionId, [.. entries.Select(TimelineEntryView.Of)]));
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
