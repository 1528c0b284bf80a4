using System.Text.Json;
using MediatR;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Core;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using CreateSessionAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Created<PaySessions.Api.Sessions.CreatedSession>, Microsoft.AspNetCore.Http.HttpResults.Results<PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.Created, PaySessions.Api.OpenApi.AnyOf<PaySessions.Api.Sessions.PaymentAnswers.RedirectBody, PaySessions.Api.Sessions.PaymentAnswers.PaymentErrorBody>>, PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.BadRequest, PaySessions.Api.OpenApi.AnyOf<PaySessions.Api.Http.ApiErrors.ErrorBody, PaySessions.Api.Http.ApiErrors.FieldErrors>>, PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.Forbidden, PaySessions.Api.Http.ApiErrors.ErrorBody>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Http.ApiErrors.ErrorBody>, Microsoft.AspNetCore.Http.HttpResults.Conflict<PaySessions.Api.Http.ApiErrors.ErrorBody>>, PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.BadRequest, PaySessions.Api.OpenApi.AnyOf<PaySessions.Api.Http.ApiErrors.ErrorBody, PaySessions.Api.Http.ApiErrors.FieldErrors>>, PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.TooManyRequests, PaySessions.Api.Http.PayvioxErrorShape.RateLimitBody>>;

namespace PaySessions.Api.Sessions;

/// <summary><c>POST /session</c>: the Payviox-style create, public or secret key.</summary>
public static class CreateSessionEndpoint
{
    public static Task<CreateSessionAnswer> Handle(HttpContext http, IMediator mediator)
    {
        var address = http.Connection.RemoteIpAddress is { } remote ? ClientAddress.Normalize(remote) : null;
        return mediator.Send(
            new CreatePayvioxSession(Merchant.From(http.User), JsonRequestBody.Get(http), address, ClientAddress.UserAgentOf(http)), http.RequestAborted);
    }
}

/// <summary>The parsed body, who sent it, from which address (after trusted proxies) and with which user agent.</summary>
public sealed record CreatePayvioxSession(Merchant Merchant, JsonElement Body, string? RequestAddress, string? UserAgent = null) : IRequest<CreateSessionAnswer>;

/// <summary>
/// The Payviox dialect of the one create path: its rules parse the body into the neutral command
/// (every field error at once, Laravel-style), <see cref="SessionCreator"/> does the rest, and
/// each outcome is answered in the seed's shapes. A direct redirect is answered as a pay is
/// (<see cref="PaymentAnswers"/>), with 201.
/// </summary>
public sealed class CreatePayvioxSessionHandler(SessionCreator creator) : IRequestHandler<CreatePayvioxSession, CreateSessionAnswer>
{
    public const string TooManyRequests = "Too many session requests";

    public async Task<CreateSessionAnswer> Handle(CreatePayvioxSession request, CancellationToken cancellationToken)
    {
        var (command, paymentMethodId, errors) = PayvioxSessionRules.Check(request.Body, request.Merchant, request.RequestAddress);
        if (command is null)
        {
            return ApiErrors.Validation(errors);
        }

        // A direct redirect is the payer's attempt: with a public key the browser is the payer (its
        // address is the session's, its user agent is recorded); with a secret key the caller is
        // the merchant's server, so only the `ip` it gave is the payer's and no user agent is.
        var payerUserAgent = request.Merchant.HasSecretKey ? null : request.UserAgent;
        var outcome = await creator.Create(new NewSession(command, paymentMethodId) { PayerUserAgent = payerUserAgent }, cancellationToken);
        return outcome switch
        {
            CreateOutcome.Created { Payment: { } payment } created => PaymentAnswers.For<Status.Created>(created.Session.SessionId, payment),
            CreateOutcome.Created created => TypedResults.Created($"/session/{created.Session.SessionId}", new CreatedSession(created.Session.SessionId)),
            CreateOutcome.Rejected rejected => PayvioxSessionRules.Render(rejected.Violation),
            CreateOutcome.RateLimited limited => PayvioxErrorShape.RateLimit(limited.Scope, TooManyRequests, limited.RetryAfterSeconds),
            CreateOutcome.DuplicateReference => ApiErrors.Validation("order_id", "The order id has already been taken."),
            CreateOutcome.MethodNotFound => ApiErrors.BadRequest("Payment method not found"),
            CreateOutcome.SessionIdTaken taken => ApiErrors.BadRequest(taken.Message),
            _ => throw new InvalidOperationException($"No answer for {outcome.GetType().Name}."),
        };
    }
}

public sealed record CreatedSession(string SessionId);
