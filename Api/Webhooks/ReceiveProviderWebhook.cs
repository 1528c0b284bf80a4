using MediatR;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Http;
using PaySessions.Api.Http;
using PaySessions.Grains.Payments;

namespace PaySessions.Api.Webhooks;

/// <summary>
/// <c>POST /webhooks/{provider}</c>: a provider reports an attempt. The raw body and its
/// <c>Webhook-Signature</c> go to the provider's webhook grain, which verifies before anything
/// changes; a bad or stale signature is 401 and changes nothing.
/// </summary>
public static class ReceiveProviderWebhookEndpoint
{
    public const string SignatureHeader = "Webhook-Signature";

    public static async Task<IResult> Handle(string provider, HttpContext http, IMediator mediator)
    {
        if (await RequestBody.ReadAsync(http) is not { } body)
        {
            return RequestBody.TooLarge();
        }

        // The provider's reader is strict about shape, not about encoding: bytes that are not
        // JSON every reader can decode (invalid UTF-8, lone surrogates) are refused here, signed or not.
        using (var document = WellFormedJson.TryParse(body))
        {
            if (document is null)
            {
                return ApiErrors.Error(StatusCodes.Status400BadRequest, "Malformed webhook");
            }
        }

        var signature = http.Request.Headers[SignatureHeader].ToString();
        return await mediator.Send(new ReceiveProviderWebhook(provider, signature, body.ToArray()), http.RequestAborted);
    }
}

public sealed record ReceiveProviderWebhook(string Provider, string? Signature, byte[] Body) : IRequest<IResult>;

public sealed class ReceiveProviderWebhookHandler(IGrainFactory grains, IConfiguration configuration) : IRequestHandler<ReceiveProviderWebhook, IResult>
{
    public async Task<IResult> Handle(ReceiveProviderWebhook request, CancellationToken cancellationToken)
    {
        // Only configured providers reach a grain: a stranger's made-up names activate nothing.
        if (!configuration.GetSection("PaySessions:Providers").GetChildren().Any(p => p.Key == request.Provider))
        {
            return ApiErrors.Error(StatusCodes.Status404NotFound, "Unknown provider");
        }

        var outcome = await grains.GetGrain<IProviderWebhookGrain>(request.Provider).Receive(request.Signature, request.Body);
        return outcome switch
        {
            ProviderWebhookOutcome.Accepted => TypedResults.Ok(new ReceivedBody(true)),
            ProviderWebhookOutcome.BadSignature => ApiErrors.Error(StatusCodes.Status401Unauthorized, "Invalid signature"),
            ProviderWebhookOutcome.Malformed => ApiErrors.Error(StatusCodes.Status400BadRequest, "Malformed webhook"),
            ProviderWebhookOutcome.UnknownReference => ApiErrors.Error(StatusCodes.Status404NotFound, "Unknown payment reference"),
            _ => ApiErrors.Error(StatusCodes.Status404NotFound, "Unknown provider"),
        };
    }

    public sealed record ReceivedBody(bool Received);
}
