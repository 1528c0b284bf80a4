using System.Text.Json;
using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.RateLimits;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.Sessions;

/// <summary><c>POST /session</c>: the Payviox-style create, public or secret key.</summary>
public static class CreateSessionEndpoint
{
    public static Task<IResult> Handle(HttpContext http, IMediator mediator)
    {
        var address = http.Connection.RemoteIpAddress is { } remote ? ClientAddress.Normalize(remote) : null;
        return mediator.Send(new CreatePayvioxSession(Merchant.From(http.User), JsonRequestBody.Get(http), address), http.RequestAborted);
    }
}

/// <summary>The parsed body, who sent it, and from which address (after trusted proxies).</summary>
public sealed record CreatePayvioxSession(Merchant Merchant, JsonElement Body, string? RequestAddress) : IRequest<IResult>;

/// <summary>
/// Checks the body, then the rate limits, then the payment method, and only then asks a new
/// session grain to record Created; a request refused at any step writes nothing.
/// </summary>
public sealed class CreatePayvioxSessionHandler(IGrainFactory grains) : IRequestHandler<CreatePayvioxSession, IResult>
{
    public async Task<IResult> Handle(CreatePayvioxSession request, CancellationToken cancellationToken)
    {
        var (command, paymentMethodId, errors) = PayvioxSessionRules.Check(request.Body, request.Merchant, request.RequestAddress);
        if (command is null)
        {
            return ApiErrors.Validation(errors);
        }

        // Nothing is written before the session grain's Create, so the steps up to it may be
        // retried after a transient failure; Create itself is not (it may have committed).
        if (await TransientFailures.RetryAsync(() => CheckRateLimits(command), cancellationToken) is { } limited)
        {
            return limited;
        }

        AvailablePaymentMethod? method = null;
        if (paymentMethodId is not null)
        {
            var available = await TransientFailures.RetryAsync(
                () => grains.GetGrain<IBusinessGrain>(command.BusinessId).GetAvailablePaymentMethods(command.Currency, command.Amount, command.Livemode),
                cancellationToken);
            method = available.FirstOrDefault(m => m.Id == paymentMethodId);
            if (method is null)
            {
                return ApiErrors.Error(StatusCodes.Status400BadRequest, "Payment method not found");
            }
        }

        var sessionId = SessionIds.New();
        var session = grains.Get<IPaymentSessionGrain>(sessionId);
        var result = await session.Create(command);
        if (result.Rejection == CreateSessionRejection.DuplicateOrderId)
        {
            return ApiErrors.Validation("order_id", "The order id has already been taken.");
        }

        if (!result.IsCreated)
        {
            return ApiErrors.Error(StatusCodes.Status400BadRequest, result.Message ?? "The session could not be created.");
        }

        // Direct redirect: a redirect method starts the payment at once. The session exists
        // whatever the provider answers, so a failure is reported beside it, still as 201.
        if (method is { Kind: PaymentMethodKind.Redirect })
        {
            var payment = await grains.InitiatePayment(sessionId, new InitiatePayment(method.Id, command.ClientIp));
            if (payment.Outcome is InitiatePaymentOutcome.Initiated or InitiatePaymentOutcome.ProviderError)
            {
                return PaymentAnswers.For(sessionId, payment, StatusCodes.Status201Created);
            }
        }

        return TypedResults.Created($"/session/{sessionId}", new CreatedSession(sessionId));
    }

    // The IP limit counts the end user's address: the request's own with a public key, the
    // `ip` field with a secret key (never the merchant server's address, which serves everyone).
    private async Task<IResult?> CheckRateLimits(CreateSession command)
    {
        if (command.ClientIp is { } ip)
        {
            var byIp = await grains.Get<IRateLimiterGrain>(RateLimitKeys.ForIp(ip)).TryAcquire();
            if (!byIp.Allowed)
            {
                return new RateLimitedResult(RateLimitedResult.SessionRequests, "ip", byIp.RetryAfterSeconds);
            }
        }

        var byCustomer = await grains.Get<IRateLimiterGrain>(RateLimitKeys.ForCustomer(command.BusinessId, command.Customer)).TryAcquire();
        return byCustomer.Allowed ? null : new RateLimitedResult(RateLimitedResult.SessionRequests, "customer", byCustomer.RetryAfterSeconds);
    }
}

public sealed record CreatedSession(string SessionId);
