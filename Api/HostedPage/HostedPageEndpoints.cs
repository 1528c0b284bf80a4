using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using PaySessions.Api.Http;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.HostedPage;

/// <summary>
/// The hosted payment page, where both dialects send the customer: <c>GET /pay/{session_id}</c>
/// shows the session, <c>POST /pay/{session_id}</c> (a form with <c>method</c> and the
/// antiforgery token) starts a payment through the same grain call as
/// <c>POST /session/{id}/pay</c> and answers 303 to the provider. The session id is the
/// customer's capability: no API key is involved, and an unknown id learns nothing.
/// </summary>
public static class HostedPageEndpoints
{
    /// <summary>
    /// Marks the page a provider sends the customer back to (<see cref="AfterPaymentPath"/>); the
    /// waiting page reloads the same address, so the mark stays until the outcome is known.
    /// </summary>
    public const string AfterPaymentQuery = "after";

    /// <summary>Longest payment method id a form may name (catalogue ids are short).</summary>
    private const int MaxMethodLength = 100;

    public static IEndpointRouteBuilder MapHostedPage(this IEndpointRouteBuilder endpoints)
    {
        var pay = endpoints.MapGroup("/pay").ExcludeFromDescription();
        pay.MapGet("/assets/{name}", PageStylesheet.Serve).WithName("HostedPageStylesheet");
        pay.MapGet("/scripts/{name}", PageScript.Serve).WithName("HostedPageScript");
        pay.MapGet("/{session_id}", Show).WithName("HostedPage");
        pay.MapPost("/{session_id}", Choose).WithName("HostedPageChoose");
        return endpoints;
    }

    public static async Task<IResult> Show(
        [FromRoute(Name = "session_id")] string sessionId, HttpContext http, IGrainFactory grains, TimeProvider clock, IAntiforgery antiforgery, IOptions<HostedPageOptions> options)
    {
        var session = SessionIds.IsWellFormed(sessionId) ? await grains.Get<IPaymentSessionGrain>(sessionId).GetSnapshot() : null;
        if (session is null)
        {
            return await NotFound(http);
        }

        // Right after a payment the customer goes back to the shop, once the session is completed:
        // a Xendit-style session to its success_return_url, a Payviox-style one to the business's
        // return URL with session_id. At the top level that is a 303; in a frame (iframe mode) the
        // page shows the outcome and its script asks the shop's page to go there
        // (payviox:redirect), since the shop's page belongs in the top window, not in our frame.
        // Any later visit shows the final page, with that address as a link.
        var business = await grains.Get<IBusinessGrain>(session.BusinessId).GetProfile();
        string? frameRedirect = null;
        if (http.Request.Query[AfterPaymentQuery] == "payment" && ShopReturn.AfterCompletion(session, business) is { } shop)
        {
            if (!FramedPageCookie.IsFramed(http.Request) || business?.FrameOrigins is not { Count: > 0 })
            {
                return PageResponses.SeeOther(http, shop);
            }

            frameRedirect = shop;
        }

        var now = clock.GetUtcNow();
        var state = PageViews.StateOf(session, now);
        return await PageOf(http, grains, antiforgery, session, business, state, now, options.Value, StatusCodes.Status200OK, frameRedirect);
    }

    /// <summary>Where a provider sends the customer back after a payment: the page, marked as just after it.</summary>
    public static string AfterPaymentPath(string sessionId) => $"{PagePath(sessionId)}?{AfterPaymentQuery}=payment";

    public static async Task<IResult> Choose(
        [FromRoute(Name = "session_id")] string sessionId, HttpContext http, IGrainFactory grains, TimeProvider clock, IAntiforgery antiforgery, IOptions<HostedPageOptions> options)
    {
        if (!SessionIds.IsWellFormed(sessionId))
        {
            return await NotFound(http);
        }

        // The token first: a form from another site (or none) reads nothing and starts nothing.
        if (!await HasValidToken(http, antiforgery) || await MethodOf(http) is not { } methodId)
        {
            var text = PageText.For(null, http.Request);
            return await PageResponses.Page(http, PageViews.Bare(PageState.BadRequest, text, PageStylesheet.Href, sessionId), StatusCodes.Status400BadRequest);
        }

        var session = await grains.Get<IPaymentSessionGrain>(sessionId).GetSnapshot();
        if (session is null)
        {
            return await NotFound(http);
        }

        var payerIp = http.Connection.RemoteIpAddress is { } remote ? ClientAddress.Normalize(remote) : null;
        var result = await grains.InitiatePayment(sessionId, new InitiatePayment(methodId, payerIp, ClientAddress.UserAgentOf(http)));
        var now = clock.GetUtcNow();
        switch (result.Outcome)
        {
            case InitiatePaymentOutcome.Initiated:
                return PageResponses.SeeOther(http, result.RedirectUrl ?? PagePath(sessionId));
            case InitiatePaymentOutcome.IpMismatch:
                return await PageResponses.Page(
                    http,
                    PageViews.Bare(PageState.Forbidden, PageText.For(session, http.Request), PageStylesheet.Href, sessionId) with
                    {
                        FrameOrigins = (await grains.Get<IBusinessGrain>(session.BusinessId).GetProfile())?.FrameOrigins ?? [],
                    },
                    StatusCodes.Status403Forbidden);
            case InitiatePaymentOutcome.NotFound:
                return await NotFound(http);
            case InitiatePaymentOutcome.Closed:
                // Ended meanwhile (paid in another tab, expired, canceled): its page says how.
                return PageResponses.SeeOther(http, PagePath(sessionId));
            default:
                break;
        }

        // Still open: the page again, with a plain word on what happened and the methods left.
        var fresh = await grains.Get<IPaymentSessionGrain>(sessionId).GetSnapshot() ?? session;
        var pageText = PageText.For(fresh, http.Request);
        var methods = await grains.Get<IPaymentSessionGrain>(sessionId).GetPaymentMethods();
        var chosen = methods.FirstOrDefault(m => m.Id == methodId);
        var (notice, status, offered) = result.Outcome switch
        {
            InitiatePaymentOutcome.ProviderError => (
                pageText.Format("ProviderError", chosen?.Name ?? methodId),
                StatusCodes.Status200OK,
                methods.Count > 1 ? [.. methods.Where(m => m.Id != methodId)] : methods),
            InitiatePaymentOutcome.InProgress => (pageText["InProgress"], StatusCodes.Status409Conflict, methods),
            _ => (pageText["MethodNotAvailable"], StatusCodes.Status400BadRequest, methods),
        };
        var business = await grains.Get<IBusinessGrain>(fresh.BusinessId).GetProfile();
        var view = PageViews.For(
            fresh, business?.Name ?? "", PageState.Open, pageText, now, offered, PageResponses.Token(http, antiforgery), PageStylesheet.Href, options.Value.WaitingRefreshSeconds, notice);
        return await PageResponses.Page(http, WithShop(view, fresh, business), status);
    }

    private static async Task<IResult> PageOf(
        HttpContext http, IGrainFactory grains, IAntiforgery antiforgery, PaymentSessionSnapshot session, BusinessProfile? business, PageState state, DateTimeOffset now,
        HostedPageOptions options, int status, string? frameRedirect)
    {
        var text = PageText.For(session, http.Request);
        var open = state == PageState.Open;
        var methods = open ? await grains.Get<IPaymentSessionGrain>(session.SessionId).GetPaymentMethods() : [];
        var token = open ? PageResponses.Token(http, antiforgery) : null;
        var view = PageViews.For(session, business?.Name ?? "", state, text, now, methods, token, PageStylesheet.Href, options.WaitingRefreshSeconds);
        return await PageResponses.Page(http, WithShop(view, session, business) with { FrameRedirect = frameRedirect }, status);
    }

    // What the business's own settings add to a page: the way back to its shop once paid (a
    // Payviox-style session; a Xendit-style one carries its own) and the origins that may frame it.
    private static PageView WithShop(PageView view, PaymentSessionSnapshot session, BusinessProfile? business) => view with
    {
        ReturnUrl = view.ReturnUrl ?? (view.State == PageState.Completed ? ShopReturn.AfterCompletion(session, business) : null),
        FrameOrigins = business?.FrameOrigins ?? [],
    };

    private static Task<IResult> NotFound(HttpContext http) =>
        PageResponses.Page(http, PageViews.Bare(PageState.NotFound, PageText.For(null, http.Request), PageStylesheet.Href), StatusCodes.Status404NotFound);

    private static string PagePath(string sessionId) => "/pay/" + sessionId;

    private static async Task<bool> HasValidToken(HttpContext http, IAntiforgery antiforgery)
    {
        if (!http.Request.HasFormContentType)
        {
            return false;
        }

        try
        {
            return await antiforgery.IsRequestValidAsync(http);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or AntiforgeryValidationException or IOException)
        {
            // A body that is not a well-formed form (or is cut off) carries no valid token.
            return false;
        }
    }

    private static async Task<string?> MethodOf(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var values = form["method"];
        return values.Count == 1 && values[0] is { Length: > 0 and <= MaxMethodLength } method ? method : null;
    }
}
