using MediatR;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using PaySessions.Api.Http;
using PaySessions.Grains.Payments;
using ReceiveProviderWebhookAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Api.Webhooks.ReceiveProviderWebhookHandler.ReceivedBody>, Microsoft.AspNetCore.Http.HttpResults.BadRequest<PaySessions.Api.Http.ApiErrors.ErrorBody>, PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.Unauthorized, PaySessions.Api.Http.ApiErrors.ErrorBody>, Microsoft.AspNetCore.Http.HttpResults.NotFound<PaySessions.Api.Http.ApiErrors.ErrorBody>, PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.PayloadTooLarge, PaySessions.Api.Http.ApiErrors.ErrorBody>>;

namespace PaySessions.Api.Webhooks;

/// <summary>
/// <c>POST /webhooks/{provider}</c>: a provider reports an attempt. The raw body and its
/// <c>Webhook-Signature</c> go to the provider's webhook grain, which verifies before anything
/// changes; a bad or stale signature is 401 and changes nothing.
/// </summary>
public static class ReceiveProviderWebhookEndpoint
{
    public const string SignatureHeader = "Webhook-Signature";

    public const string MalformedMessage = "Malformed webhook";

    public static async Task<ReceiveProviderWebhookAnswer> Handle(string provider, HttpContext http, IMediator mediator)
    {
        if (await RequestBody.ReadAsync(http) is not { } body)
        {
            // The provider callback's shape is the service's default one (no dialect).
            return new Answer<Status.PayloadTooLarge, ApiErrors.ErrorBody>(new ApiErrors.ErrorBody(PayvioxErrorShape.BodyTooLargeMessage));
        }

        // The provider's reader is strict about shape, not about encoding: bytes that are not
        // JSON every reader can decode (invalid UTF-8, lone surrogates) are refused here, signed or not.
        using (var document = WellFormedJson.TryParse(body))
        {
            if (document is null)
            {
                return TypedResults.BadRequest(new ApiErrors.ErrorBody(MalformedMessage));
            }
        }

        var signature = http.Request.Headers[SignatureHeader].ToString();
        return await mediator.Send(new ReceiveProviderWebhook(provider, signature, body.ToArray()), http.RequestAborted);
    }
}

public sealed record ReceiveProviderWebhook(string Provider, string? Signature, byte[] Body) : IRequest<ReceiveProviderWebhookAnswer>;

public sealed class ReceiveProviderWebhookHandler(IGrainFactory grains, IConfiguration configuration)
    : IRequestHandler<ReceiveProviderWebhook, ReceiveProviderWebhookAnswer>
{
    public async Task<ReceiveProviderWebhookAnswer> Handle(ReceiveProviderWebhook request, CancellationToken cancellationToken)
    {
        // Only configured providers reach a grain: a stranger's made-up names activate nothing.
        if (!configuration.GetSection("PaySessions:Providers").GetChildren().Any(p => p.Key == request.Provider))
        {
            return NotFound("Unknown provider");
        }

        var outcome = await grains.GetGrain<IProviderWebhookGrain>(request.Provider).Receive(request.Signature, request.Body);
        return outcome switch
        {
            ProviderWebhookOutcome.Accepted => TypedResults.Ok(new ReceivedBody(true)),
            ProviderWebhookOutcome.BadSignature => Unauthorized("Invalid signature"),
            ProviderWebhookOutcome.Malformed => TypedResults.BadRequest(new ApiErrors.ErrorBody(ReceiveProviderWebhookEndpoint.MalformedMessage)),
            ProviderWebhookOutcome.UnknownReference => NotFound("Unknown payment reference"),
            _ => NotFound("Unknown provider"),
        };
    }

    private static NotFound<ApiErrors.ErrorBody> NotFound(string message) => TypedResults.NotFound(new ApiErrors.ErrorBody(message));

    private static Answer<Status.Unauthorized, ApiErrors.ErrorBody> Unauthorized(string message) =>
        new(new ApiErrors.ErrorBody(message));

    public sealed record ReceivedBody(bool Received);
}
