using System.Text.Json;
using MediatR;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Api.OpenApi;
using PaySessions.Grains.Sessions;
using PaySessionAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.Ok, PaySessions.Api.OpenApi.AnyOf<PaySessions.Api.Sessions.PaymentAnswers.RedirectBody, PaySessions.Api.Sessions.PaymentAnswers.PaymentErrorBody>>, PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.BadRequest, PaySessions.Api.OpenApi.AnyOf<PaySessions.Api.Http.ApiErrors.ErrorBody, PaySessions.Api.Http.ApiErrors.FieldErrors>>, PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.Forbidden, PaySessions.Api.Http.ApiErrors.ErrorBody>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Http.ApiErrors.ErrorBody>, Microsoft.AspNetCore.Http.HttpResults.Conflict<PaySessions.Api.Http.ApiErrors.ErrorBody>>;

namespace PaySessions.Api.Sessions;

/// <summary>
/// <c>POST /session/{id}/pay</c> with <c>{"paymentMethodId": …}</c>: starts a payment (either key of
/// the owner; the hosted page uses the same path). With a public key the payer's address is the
/// request's; with a secret key the merchant's server may pass it as <c>ip</c>. The payer's address
/// and, from a browser (public key), its user agent are recorded on the attempt; a secret-key call
/// comes from the merchant's server, whose user agent says nothing about the payer.
/// </summary>
public static class PaySessionEndpoint
{
    public static Task<PaySessionAnswer> Handle(string id, HttpContext http, IMediator mediator)
    {
        var address = http.Connection.RemoteIpAddress is { } remote ? ClientAddress.Normalize(remote) : null;
        return mediator.Send(
            new PaySession(Merchant.From(http.User), id, JsonRequestBody.Get(http), address, ClientAddress.UserAgentOf(http)), http.RequestAborted);
    }
}

public sealed record PaySession(Merchant Merchant, string SessionId, JsonElement Body, string? RequestAddress, string? UserAgent = null)
    : IOwnedSessionRequest<PaySessionAnswer>
{
    public bool PublicKeyAllowed => true;

    public static PaySessionAnswer SessionNotFound() => ApiErrors.SessionNotFound();
}

public sealed class PaySessionHandler(IGrainFactory grains) : IRequestHandler<PaySession, PaySessionAnswer>
{
    public async Task<PaySessionAnswer> Handle(PaySession request, CancellationToken cancellationToken)
    {
        var (methodId, payerIp, errors) = PayvioxSessionRules.CheckPay(request.Body, request.Merchant, request.RequestAddress);
        if (methodId is null)
        {
            return ApiErrors.Validation(errors);
        }

        var userAgent = request.Merchant.HasSecretKey ? null : request.UserAgent;
        var result = await grains.InitiatePayment(request.SessionId, new InitiatePayment(methodId, payerIp, userAgent));
        return PaymentAnswers.For<Status.Ok>(request.SessionId, result);
    }
}

/// <summary>How a payment initiation is answered, on pay (200) and on create with a direct redirect (201).</summary>
public static class PaymentAnswers
{
    public static Results<
        Answer<TSuccess, AnyOf<RedirectBody, PaymentErrorBody>>,
        Answer<Status.BadRequest, AnyOf<ApiErrors.ErrorBody, ApiErrors.FieldErrors>>,
        Answer<Status.Forbidden, ApiErrors.ErrorBody>,
        NotFound<ApiErrors.ErrorBody>,
        Conflict<ApiErrors.ErrorBody>> For<TSuccess>(string sessionId, InitiatePaymentResult result)
        where TSuccess : IHttpStatus => result.Outcome switch
    {
        InitiatePaymentOutcome.Initiated => Answer.OneOf<TSuccess, AnyOf<RedirectBody, PaymentErrorBody>, RedirectBody>(new RedirectBody(sessionId, result.RedirectUrl)),
        InitiatePaymentOutcome.ProviderError => Answer.OneOf<TSuccess, AnyOf<RedirectBody, PaymentErrorBody>, PaymentErrorBody>(
            new PaymentErrorBody(sessionId, new PaymentError(false, result.Message ?? "Payment creation failed", result.ErrorType ?? "provider_error"))),
        InitiatePaymentOutcome.MethodNotAvailable => ApiErrors.BadRequest("Payment method not found"),
        InitiatePaymentOutcome.IpMismatch => ApiErrors.Forbidden("IP mismatch"),
        InitiatePaymentOutcome.Closed => ApiErrors.Conflict(result.Message ?? "Session has ended"),
        InitiatePaymentOutcome.InProgress => ApiErrors.Conflict("Payment initiation in progress"),
        _ => ApiErrors.SessionNotFound(),
    };

    public sealed record RedirectBody(string SessionId, string? RedirectUrl);

    public sealed record PaymentErrorBody(string SessionId, PaymentError PaymentError);

    public sealed record PaymentError(bool Success, string Message, string ErrorType);
}
