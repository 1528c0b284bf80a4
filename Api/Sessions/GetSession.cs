using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;
using GetSessionAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Api.Sessions.SessionView>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Http.ApiErrors.ErrorBody>>;

namespace PaySessions.Api.Sessions;

/// <summary><c>GET /session/{id}</c>: the session, for the secret key of the business that owns it.</summary>
public static class GetSessionEndpoint
{
    public static Task<GetSessionAnswer> Handle(string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new GetSession(Merchant.From(http.User), id), http.RequestAborted);
}

public sealed record GetSession(Merchant Merchant, string SessionId) : IOwnedSessionRequest<GetSessionAnswer>, IRetrySafeRequest
{
    public static GetSessionAnswer SessionNotFound() => ApiErrors.SessionNotFound();
}

/// <summary>Shows the snapshot the ownership check already read: no second call to the grain.</summary>
public sealed class GetSessionHandler(OwnedSessionAccess access) : IRequestHandler<GetSession, GetSessionAnswer>
{
    public Task<GetSessionAnswer> Handle(GetSession request, CancellationToken cancellationToken) =>
        Task.FromResult<GetSessionAnswer>(access.Session is { } session ? TypedResults.Ok(SessionView.From(session)) : ApiErrors.SessionNotFound());
}

/// <summary>The session as the Payviox-style API shows it.</summary>
public sealed record SessionView(
    string SessionId,
    string Status,
    long Amount,
    string Currency,
    string Customer,
    string OrderId,
    string? Description,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<SessionView.Item> Items,
    string? Ip,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string? PaymentMethodId,
    SessionView.PaymentView? Payment,
    bool RefundRequired,
    IReadOnlyList<SessionView.RefundView> LatePayments,
    IReadOnlyList<SessionView.RefundView> PaymentMismatches,
    bool Livemode,
    bool ManualReview)
{
    public static SessionView From(PaymentSessionSnapshot session) => new(
        session.SessionId,
        session.Status.ToName(),
        session.Amount,
        session.Currency,
        session.Customer,
        session.OrderId,
        session.Description,
        session.Metadata,
        [.. session.Items.Select(i => new Item(i.Name, i.Quantity, i.Price))],
        session.ClientIp,
        session.CreatedAt,
        session.ExpiresAt,
        session.PaymentMethodId,
        session.Payment is { } p ? new PaymentView(p.Provider, p.ProviderPaymentId, p.PaymentMethodId, p.CompletedAt) : null,
        session.RefundRequired,
        [.. session.LatePayments.Select(RefundView.From)],
        [.. session.PaymentMismatches.Select(RefundView.From)],
        session.Livemode,
        session.ManualReview);

    public sealed record Item(string Name, long Quantity, long Price);

    public sealed record PaymentView(string Provider, string ProviderPaymentId, string? PaymentMethodId, DateTimeOffset CompletedAt);

    /// <summary>
    /// Money taken that the session cannot keep (late, or in other figures): both figures, for the
    /// refund. A late payment also says what its business's policy did with it (<c>handling</c>:
    /// refund, accept, manual; null for mismatches and older late payments) and, when refunded by
    /// policy, the refund's id, status (pending, refunded, failed), the provider's refund id and
    /// the failure's reason.
    /// </summary>
    public sealed record RefundView(
        string Provider,
        string ProviderReference,
        string ProviderPaymentId,
        long? Amount,
        string? Currency,
        long ExpectedAmount,
        string ExpectedCurrency,
        DateTimeOffset ReceivedAt,
        string? Handling,
        string? RefundId,
        string? RefundStatus,
        string? ProviderRefundId,
        string? RefundFailureReason)
    {
        public static RefundView From(ReportedPayment p) =>
            new(p.Provider, p.ProviderReference, p.ProviderPaymentId, p.Amount, p.Currency, p.ExpectedAmount, p.ExpectedCurrency, p.ReceivedAt,
                p.Handling?.ToString().ToLowerInvariant(), p.RefundId, p.RefundStatus?.ToString().ToLowerInvariant(), p.ProviderRefundId, p.RefundFailureReason);
    }
}
