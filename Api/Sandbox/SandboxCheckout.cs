using System.Globalization;
using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Grains.Money;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Sessions;

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

    internal static IResult Page(SandboxCheckoutView view, int status = StatusCodes.Status200OK) => new SandboxPageResult(view, status);

    internal static IResult Unknown() => Page(new SandboxCheckoutView("Not found", "Unknown payment"), StatusCodes.Status404NotFound);

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
            return SandboxCheckoutEndpoints.Unknown();
        }

        // A SAVE session's attempt charges nothing: the customer agrees to save the method.
        var heading = payment.SavesPaymentMethod
            ? "Save this payment method (nothing is charged)"
            : "Pay " + SandboxCheckoutEndpoints.Amount(payment.Amount, payment.Currency);
        // Like the hosted page it stands in for a provider behind, the checkout may be framed by
        // exactly the origins the session's business allowed (iframe mode), by nobody otherwise.
        var session = await grains.GetGrain<IPaymentSessionGrain>(payment.SessionId).GetSnapshot();
        var profile = session is null ? null : await grains.GetGrain<IBusinessGrain>(session.BusinessId).GetProfile();
        return SandboxCheckoutEndpoints.Page(new SandboxCheckoutView("Sandbox checkout", heading)
        {
            Description = payment.Description,
            Payment = payment,
            FrameOrigins = profile?.FrameOrigins ?? [],
        });
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
            SandboxDecision.AlreadyDecided => SandboxCheckoutEndpoints.Page(
                new SandboxCheckoutView("Already decided", "This payment was already decided") { HeadingId = "result" }, StatusCodes.Status409Conflict),
            SandboxDecision.WebhookNotDelivered => SandboxCheckoutEndpoints.Page(
                new SandboxCheckoutView("Not delivered", "Recorded, but the shop was not told yet") { HeadingId = "result", Message = "Press the same button again to resend." },
                StatusCodes.Status502BadGateway),
            _ => SandboxCheckoutEndpoints.Unknown(),
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

/// <summary>A sandbox page, rendered when the answer is written (in the hosted page's look and headers).</summary>
internal sealed class SandboxPageResult(SandboxCheckoutView view, int status) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var page = await HostedPage.PageResponses.Render<SandboxCheckoutPage>(
            httpContext, new Dictionary<string, object?> { [nameof(SandboxCheckoutPage.View)] = view }, status, view.FrameOrigins);
        await page.ExecuteAsync(httpContext);
    }
}

/// <summary>What the sandbox checkout shows; <see cref="Payment"/> is null on its outcome and error pages.</summary>
public sealed record SandboxCheckoutView(string Title, string Heading)
{
    /// <summary>The heading's id: <c>result</c> on outcome pages, which tests and scripts look for.</summary>
    public string? HeadingId { get; init; }

    public string? Description { get; init; }

    public string? Message { get; init; }

    public SandboxPayment? Payment { get; init; }

    /// <summary>Origins that may frame the page: the session's business's, for iframe mode.</summary>
    public IReadOnlyList<string> FrameOrigins { get; init; } = [];
}
