using MediatR;
using PaySessions.Api.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Api.OpenApi;
using PaySessions.Api.Sessions;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Xendit;
using GetXenditSessionAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Grains.Sessions.Xendit.XenditSessionObject>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Xendit.XenditErrors.ErrorBody>>;
using CancelXenditSessionAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Grains.Sessions.Xendit.XenditSessionObject>, Microsoft.AspNetCore.Http.HttpResults.BadRequest<PaySessions.Api.Xendit.XenditErrors.ErrorBody>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Xendit.XenditErrors.ErrorBody>>;

namespace PaySessions.Api.Xendit;

/// <summary>
/// The Xendit-style <c>/sessions</c> route group: Basic (or Bearer) with the secret key, errors in
/// that dialect's shape, and <c>for-user-id</c> read once for every route by
/// <see cref="ForUserIdFilter"/>. A route of the group acts as <see cref="XenditCaller.Of"/>.
/// </summary>
public static class XenditSessionRoutes
{
    public const string Prefix = "/sessions";

    /// <summary>The group, for the routes of this dialect (the create maps its POST on it too).</summary>
    public static RouteGroupBuilder MapXenditSessionGroup(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup(Prefix)
            .RequireAuthorization()
            .WithErrorShape(XenditErrorShape.Instance)
            .WithApiKeyForms(ApiKeyForms.BasicOrBearerSecret);
        // for-user-id naming a business the key may not act for: 403 on every route of the group,
        // answered by the filter before any handler runs, so no handler's type can say it.
        group.AddEndpointFilter<ForUserIdFilter>().AnswersErrors(StatusCodes.Status403Forbidden);
        group.MapGet("/{payment_session_id}", GetXenditSessionEndpoint.Handle).WithName("GetXenditSession");
        group.MapPost("/{payment_session_id}/cancel", CancelXenditSessionEndpoint.Handle).WithName("CancelXenditSession");
        group.MapGet("", ListXenditSessionsEndpoint.Handle).WithName("ListXenditSessions");
        group.MapGet("/{payment_session_id}/timeline", GetSessionTimelineEndpoint.HandleXendit).WithName("GetXenditSessionTimeline");
        return group;
    }
}

/// <summary>The business a request of the <c>/sessions</c> group acts as: the key's, or the sub-account its <c>for-user-id</c> names.</summary>
public static class XenditCaller
{
    public const string ForUserIdHeader = "for-user-id";

    /// <summary>
    /// The caller with the acting business in place of the key's. Throws on a route where
    /// <see cref="ForUserIdFilter"/> did not run, so no route of the group can skip the header.
    /// </summary>
    public static Merchant Of(HttpContext http) =>
        ActingMerchant.Declared(http) ?? throw new InvalidOperationException($"{nameof(ForUserIdFilter)} did not run on {http.Request.Path}.");

    internal static void Set(HttpContext http, Merchant acting) => ActingMerchant.Declare(http, acting);
}

/// <summary>
/// Reads <c>for-user-id</c> on every route of the group: absent or empty, the request acts as the
/// key's business; naming that business or one of its sub-accounts, as that one; naming any other,
/// 403 REQUEST_FORBIDDEN_ERROR before the route runs (the same answer for an unknown id and
/// another's, so ids cannot be probed).
/// </summary>
public sealed class ForUserIdFilter(IGrainFactory grains) : IEndpointFilter
{
    public const string Forbidden = "REQUEST_FORBIDDEN_ERROR";
    public const string ForbiddenMessage = "The API key is not authorized to act for the for-user-id provided";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var merchant = Merchant.From(http.User);
        var headers = http.Request.Headers[XenditCaller.ForUserIdHeader];
        var forUserId = headers.Count == 1 ? headers[0] : null;
        if (headers.Count > 1)
        {
            return Refused();
        }

        if (!string.IsNullOrEmpty(forUserId) && forUserId != merchant.BusinessId)
        {
            var acting = await TransientFailures.RetryAsync(
                () => grains.Get<IBusinessGrain>(merchant.BusinessId).ResolveActingBusiness(forUserId), http.RequestAborted);
            if (!acting.Allowed || acting.BusinessId != forUserId)
            {
                return Refused();
            }

            merchant = merchant with { BusinessId = acting.BusinessId };
        }

        XenditCaller.Set(http, merchant);
        return await next(context);
    }

    private static IResult Refused() => XenditErrors.Error(StatusCodes.Status403Forbidden, Forbidden, ForbiddenMessage);
}

/// <summary><c>GET /sessions/{payment_session_id}</c>: the session object, for its business (or its parent with <c>for-user-id</c>).</summary>
public static class GetXenditSessionEndpoint
{
    public static Task<GetXenditSessionAnswer> Handle([FromRoute(Name = "payment_session_id")] string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetXenditSession(XenditCaller.Of(http), id), http.RequestAborted);
}

public sealed record GetXenditSession(Merchant Merchant, string SessionId) : IOwnedSessionRequest<GetXenditSessionAnswer>, IRetrySafeRequest
{
    public SessionDialect? Dialect => SessionDialect.Xendit;

    public static GetXenditSessionAnswer SessionNotFound() => XenditErrors.SessionNotFound();
}

public sealed class GetXenditSessionHandler(OwnedSessionAccess access, PaymentLinks links) : IRequestHandler<GetXenditSession, GetXenditSessionAnswer>
{
    public Task<GetXenditSessionAnswer> Handle(GetXenditSession request, CancellationToken cancellationToken) =>
        Task.FromResult<GetXenditSessionAnswer>(access.Session is { } session
            ? TypedResults.Ok(XenditSessionObject.From(session, links))
            : XenditErrors.SessionNotFound());
}

/// <summary>
/// <c>POST /sessions/{payment_session_id}/cancel</c>: an ACTIVE session becomes CANCELED and the
/// object is answered; a session that has already ended (COMPLETED, EXPIRED, CANCELED) is 400
/// INELIGIBLE_TRANSACTION_STATUS and nothing changes.
/// </summary>
public static class CancelXenditSessionEndpoint
{
    public const string Ineligible = "INELIGIBLE_TRANSACTION_STATUS";

    public static Task<CancelXenditSessionAnswer> Handle([FromRoute(Name = "payment_session_id")] string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new CancelXenditSession(XenditCaller.Of(http), id), http.RequestAborted);
}

public sealed record CancelXenditSession(Merchant Merchant, string SessionId) : IOwnedSessionRequest<CancelXenditSessionAnswer>
{
    public SessionDialect? Dialect => SessionDialect.Xendit;

    public static CancelXenditSessionAnswer SessionNotFound() => XenditErrors.SessionNotFound();
}

public sealed class CancelXenditSessionHandler(IGrainFactory grains, OwnedSessionAccess access, PaymentLinks links) : IRequestHandler<CancelXenditSession, CancelXenditSessionAnswer>
{
    public async Task<CancelXenditSessionAnswer> Handle(CancelXenditSession request, CancellationToken cancellationToken)
    {
        var result = await grains.GetGrain<IPaymentSessionGrain>(request.SessionId).Cancel("requested_by_merchant");
        if (result.Succeeded)
        {
            return TypedResults.Ok(XenditSessionObject.From(result.Session!, links));
        }

        var status = (result.Session ?? access.Session)?.Status is { } current ? XenditSessionObject.StatusOf(current) : "not ACTIVE";
        return XenditErrors.BadRequest(
            CancelXenditSessionEndpoint.Ineligible,
            $"The payment session is {status}; only an ACTIVE session can be canceled");
    }
}
