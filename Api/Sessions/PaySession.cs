using System.Text.Json;
using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Sessions;

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
    public static Task<IResult> Handle(string id, HttpContext http, IMediator mediator)
    {
        var address = http.Connection.RemoteIpAddress is { } remote ? ClientAddress.Normalize(remote) : null;
        return mediator.Send(
            new PaySession(Merchant.From(http.User), id, JsonRequestBody.Get(http), address, ClientAddress.UserAgentOf(http)), http.RequestAborted);
    }
}

public sealed record PaySession(Merchant Merchant, string SessionId, JsonElement Body, string? RequestAddress, string? UserAgent = null) : IOwnedSessionRequest
{
    public bool PublicKeyAllowed => true;
}

public sealed class PaySessionHandler(IGrainFactory grains) : IRequestHandler<PaySession, IResult>
{
    public async Task<IResult> Handle(PaySession request, CancellationToken cancellationToken)
    {
        var (methodId, payerIp, errors) = PayvioxSessionRules.CheckPay(request.Body, request.Merchant, request.RequestAddress);
        if (methodId is null)
        {
            return ApiErrors.Validation(errors);
        }

        var userAgent = request.Merchant.HasSecretKey ? null : request.UserAgent;
        var result = await grains.InitiatePayment(request.SessionId, new InitiatePayment(methodId, payerIp, userAgent));
        return PaymentAnswers.For(request.SessionId, result, StatusCodes.Status200OK);
    }
}

/// <summary>How a payment initiation is answered, on pay and on create with a direct redirect.</summary>
public static class PaymentAnswers
{
    public static IResult For(string sessionId, InitiatePaymentResult result, int successStatus) => result.Outcome switch
    {
        InitiatePaymentOutcome.Initiated => TypedResults.Json(new RedirectBody(sessionId, result.RedirectUrl), statusCode: successStatus),
        InitiatePaymentOutcome.ProviderError => TypedResults.Json(
            new PaymentErrorBody(sessionId, new PaymentError(false, result.Message ?? "Payment creation failed", result.ErrorType ?? "provider_error")),
            statusCode: successStatus),
        InitiatePaymentOutcome.MethodNotAvailable => ApiErrors.Error(StatusCodes.Status400BadRequest, "Payment method not found"),
        InitiatePaymentOutcome.IpMismatch => ApiErrors.Error(StatusCodes.Status403Forbidden, "IP mismatch"),
        InitiatePaymentOutcome.Closed => ApiErrors.Error(StatusCodes.Status409Conflict, result.Message ?? "Session has ended"),
        InitiatePaymentOutcome.InProgress => ApiErrors.Error(StatusCodes.Status409Conflict, "Payment initiation in progress"),
        _ => ApiErrors.SessionNotFound(),
    };

    public sealed record RedirectBody(string SessionId, string? RedirectUrl);

    public sealed record PaymentErrorBody(string SessionId, PaymentError PaymentError);

    public sealed record PaymentError(bool Success, string Message, string ErrorType);
}
