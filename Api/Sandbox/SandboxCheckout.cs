using System.Globalization;
using System.Net;
using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Grains.Money;
using PaySessions.Grains.Payments;

namespace PaySessions.Api.Sandbox;

/// <summary>
/// The sandbox provider's checkout: <c>GET /sandbox/checkout/{reference}</c> shows the payment
/// with Approve and Decline forms (plain HTML, no script); pressing one posts to
/// <c>…/approve</c> or <c>…/decline</c>, the sandbox then calls this service's webhook and sends the
/// customer back to the hosted payment page (<c>/pay/{session_id}</c>) with a 303.
/// </summary>
public static class SandboxCheckoutEndpoints
{
    public static Task<IResult> Show(string reference, HttpContext http, IMediator mediator) =>
        mediator.Send(new ShowSandboxCheckout(reference), http.RequestAborted);

    public static Task<IResult> Approve(string reference, HttpContext http, IMediator mediator) =>
        mediator.Send(new DecideSandboxCheckout(reference, Approve: true), http.RequestAborted);

    public static Task<IResult> Decline(string reference, HttpContext http, IMediator mediator) =>
        mediator.Send(new DecideSandboxCheckout(reference, Approve: false), http.RequestAborted);

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    internal static bool IsWellFormed(string reference) =>
        reference.Length == 28 && reference.StartsWith("sbx_", StringComparison.Ordinal)
        && !reference.AsSpan(4).ContainsAnyExcept(LowerHex);

    internal static IResult Page(string title, string body, int status = StatusCodes.Status200OK) =>
        TypedResults.Content(
            $"""
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{WebUtility.HtmlEncode(title)}</title>
            <style>body{"{"}font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem{"}"}button{"{"}font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem{"}"}</style></head>
            <body><p><strong>PaySessions sandbox</strong> (test mode: no real money moves)</p>{body}</body>
            </html>
            """,
            "text/html; charset=utf-8",
            statusCode: status);

    internal static string Amount(long minor, string currency)
    {
        var exponent = Currencies.Exponent(currency) ?? 2;
        var major = minor / (decimal)Math.Pow(10, exponent);
        return major.ToString("N" + exponent.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + " " + currency;
    }
}

public sealed record ShowSandboxCheckout(string Reference) : IRequest<IResult>, PaySessions.Api.Http.IRetrySafeRequest;

public sealed class ShowSandboxCheckoutHandler(IGrainFactory grains) : IRequestHandler<ShowSandboxCheckout, IResult>
{
    public async Task<IResult> Handle(ShowSandboxCheckout request, CancellationToken cancellationToken)
    {
        var payment = SandboxCheckoutEndpoints.IsWellFormed(request.Reference)
            ? await grains.GetGrain<ISandboxPaymentGrain>(request.Reference).GetPayment()
            : null;
        if (payment is null)
        {
            return SandboxCheckoutEndpoints.Page("Not found", "<h1>Unknown payment</h1>", StatusCodes.Status404NotFound);
        }

        var reference = WebUtility.HtmlEncode(payment.Reference);
        var description = payment.Description is null ? "" : $"<p>{WebUtility.HtmlEncode(payment.Description)}</p>";
        var actions = payment.Status == "pending"
            ? $"""
              <form method="post" action="/sandbox/checkout/{reference}/approve" style="display:inline"><button type="submit" id="approve">Approve</button></form>
              <form method="post" action="/sandbox/checkout/{reference}/decline" style="display:inline"><button type="submit" id="decline">Decline</button></form>
              """
            : $"<p id=\"status\">This payment was {WebUtility.HtmlEncode(payment.Status)}.</p>";
        // A SAVE session's attempt charges nothing: the customer agrees to save the method.
        var heading = payment.SavesPaymentMethod
            ? "Save this payment method (nothing is charged)"
            : "Pay " + SandboxCheckoutEndpoints.Amount(payment.Amount, payment.Currency);
        return SandboxCheckoutEndpoints.Page(
            "Sandbox checkout",
            $"""
            <h1>{WebUtility.HtmlEncode(heading)}</h1>
            {description}
            <p>Method: {WebUtility.HtmlEncode(payment.PaymentMethodId)} · Reference: <code>{reference}</code></p>
            {actions}
            """);
    }
}

public sealed record DecideSandboxCheckout(string Reference, bool Approve) : IRequest<IResult>;

public sealed class DecideSandboxCheckoutHandler(IGrainFactory grains) : IRequestHandler<DecideSandboxCheckout, IResult>
{
    public async Task<IResult> Handle(DecideSandboxCheckout request, CancellationToken cancellationToken)
    {
        var decision = SandboxCheckoutEndpoints.IsWellFormed(request.Reference)
            ? await grains.GetGrain<ISandboxPaymentGrain>(request.Reference).Decide(request.Approve)
            : SandboxDecision.NotFound;
        if (decision is SandboxDecision.Approved or SandboxDecision.Declined
            && await grains.GetGrain<ISandboxPaymentGrain>(request.Reference).GetPayment() is { } payment)
        {
            // Like a real provider, the sandbox sends the customer back: to the hosted payment
            // page, which shows the outcome (or waits for it) in the session's own words, and
            // sends a completed Xendit-style session on to its success_return_url.
            return new SeeOtherResult(HostedPage.HostedPageEndpoints.AfterPaymentPath(payment.SessionId));
        }

        return decision switch
        {
            SandboxDecision.AlreadyDecided => SandboxCheckoutEndpoints.Page("Already decided", "<h1 id=\"result\">This payment was already decided</h1>", StatusCodes.Status409Conflict),
            SandboxDecision.WebhookNotDelivered => SandboxCheckoutEndpoints.Page(
                "Not delivered", "<h1 id=\"result\">Recorded, but the shop was not told yet</h1><p>Press the same button again to resend.</p>", StatusCodes.Status502BadGateway),
            _ => SandboxCheckoutEndpoints.Page("Not found", "<h1>Unknown payment</h1>", StatusCodes.Status404NotFound),
        };
    }
}

/// <summary>303 See Other, so the browser follows a form POST with a GET.</summary>
internal sealed class SeeOtherResult(string location) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
        httpContext.Response.Headers.Location = location;
        return Task.CompletedTask;
    }
}
