using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;
using GetPaymentAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Api.Sessions.PaymentView>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Http.ApiErrors.ErrorBody>>;

namespace PaySessions.Api.Sessions;

/// <summary>
/// <c>GET /payment/{session_id}</c>: Payviox's payment details, for the secret key of the business
/// that owns the session (a public key is 401, as Payviox answers it). Everything comes from the
/// session grain's memory: the snapshot the owner check read, and the payment it folded from its
/// events. Payviox-dialect sessions only: a Xendit-style session is "not found" here, its merchants
/// read it at <c>/sessions/{id}</c> in their own shape.
/// </summary>
public static class GetPaymentEndpoint
{
    /// <summary>The <c>/payment</c> group: Bearer with the secret key only, its 404 worded "Payment not found".</summary>
    public static RouteGroupBuilder MapPaymentGroup(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGroup("/payment")
            .RequireAuthorization()
            .WithErrorShape(PaymentErrorShape.Instance)
            .WithApiKeyForms(ApiKeyForms.BearerSecret);

    public static Task<GetPaymentAnswer> Handle([FromRoute(Name = "session_id")] string sessionId, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetPayment(Merchant.From(http.User), sessionId), http.RequestAborted);
}

public sealed record GetPayment(Merchant Merchant, string SessionId) : IOwnedSessionRequest<GetPaymentAnswer>, IRetrySafeRequest
{
    public SessionDialect? Dialect => SessionDialect.Payviox;

    public static GetPaymentAnswer SessionNotFound() => ApiErrors.PaymentNotFound();
}

public sealed class GetPaymentHandler(IGrainFactory grains, OwnedSessionAccess access) : IRequestHandler<GetPayment, GetPaymentAnswer>
{
    public async Task<GetPaymentAnswer> Handle(GetPayment request, CancellationToken cancellationToken)
    {
        if (access.Session is not { } session
            || await grains.Get<IPaymentSessionGrain>(request.SessionId).GetPaymentDetails() is not { } payment)
        {
            return ApiErrors.PaymentNotFound();
        }

        return TypedResults.Ok(PaymentView.From(session, payment));
    }
}

/// <summary>
/// The payment as Payviox shows it, every documented field present (null when unknown). Amounts in
/// minor units. <c>net_amount</c> is <c>amount - fees</c> once the fees are recorded, else null.
/// <c>country</c> is always null: the service knows no fact about where the payer was (the card's
/// issuing country is in <c>payment_details.card.country</c>).
/// </summary>
public sealed record PaymentView(
    string SessionId,
    string? Status,
    long Amount,
    long? Fees,
    long? NetAmount,
    string Currency,
    string OrderId,
    string Customer,
    string? Description,
    IReadOnlyList<SessionView.Item> Items,
    IReadOnlyDictionary<string, string> Metadata,
    string? PaymentMethod,
    string? Provider,
    DateTimeOffset CreatedAt,
    PaymentView.CustomerView? CustomerDetails,
    PaymentView.PaymentDetailsView? PaymentDetails,
    string? Ip,
    string? Country,
    string? UserAgent)
{
    public static PaymentView From(PaymentSessionSnapshot session, SessionPaymentDetails payment) => new(
        session.SessionId,
        NameOf(payment.Status),
        session.Amount,
        payment.Fees,
        payment.Fees is { } fees ? session.Amount - fees : null,
        session.Currency,
        session.OrderId,
        session.Customer,
        session.Description,
        [.. session.Items.Select(i => new SessionView.Item(i.Name, i.Quantity, i.Price))],
        session.Metadata,
        payment.PaymentMethodId,
        payment.Provider,
        session.CreatedAt,
        payment.CustomerDetails is { } customer ? CustomerView.From(customer) : null,
        payment.PaymentDetails is { } details ? PaymentDetailsView.From(details) : null,
        payment.PayerIp,
        null,
        payment.PayerUserAgent);

    /// <summary>Payviox's status words; those Payviox lacks (canceled) keep the service's own.</summary>
    public static string? NameOf(PaymentStatus? status) => status switch
    {
        null => null,
        PaymentStatus.Pending => "pending",
        PaymentStatus.Succeeded => "succeeded",
        PaymentStatus.Failed => "failed",
        PaymentStatus.Expired => "expired",
        PaymentStatus.Canceled => "canceled",
        PaymentStatus.PendingReview => "pending_review",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public sealed record CustomerView(string? Name, string? Email, string? Phone, AddressView? Address)
    {
        public static CustomerView From(ProviderCustomerDetails c) => new(
            c.Name, c.Email, c.Phone, c.Address is { } a ? new AddressView(a.Line1, a.Line2, a.City, a.State, a.PostalCode, a.Country) : null);
    }

    public sealed record AddressView(string? Line1, string? Line2, string? City, string? State, string? PostalCode, string? Country);

    public sealed record PaymentDetailsView(string Type, CardView? Card)
    {
        public static PaymentDetailsView From(ProviderPaymentDetails d) => new(
            d.Type, d.Card is { } card ? new CardView(card.Brand, card.Last4, card.ExpMonth, card.ExpYear, card.Country) : null);
    }

    public sealed record CardView(string? Brand, string? Last4, int? ExpMonth, int? ExpYear, string? Country);
}

/// <summary>
/// The Payviox shapes with Payviox's wording for a payment that is not the caller's: 404
/// <c>{"error":"Payment not found"}</c> (unknown, malformed, another business's, the other mode's,
/// a Xendit-style session's). Every other failure is worded as on the rest of the Payviox API.
/// </summary>
public sealed class PaymentErrorShape : ErrorShape
{
    public static PaymentErrorShape Instance { get; } = new();

    public override IResult Failure(RequestFailure failure, int status) => failure == RequestFailure.SessionNotFound
        ? ApiErrors.PaymentNotFound()
        : ErrorShapes.Default.Failure(failure, status);

    public override IResult RateLimited(RateLimitScope scope, string message, int retryAfterSeconds) =>
        ErrorShapes.Default.RateLimited(scope, message, retryAfterSeconds);

    public override IResult EmptyStatus(int status) => ErrorShapes.Default.EmptyStatus(status);

    public override Type BodyTypeFor(int status) => ErrorShapes.Default.BodyTypeFor(status);
}
