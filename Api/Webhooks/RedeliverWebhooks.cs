using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Webhooks;
using RedeliverWebhooksAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<PaySessions.Api.Webhooks.BulkRedeliveryView>, PaySessions.Api.Http.Answer<PaySessions.Api.Http.Status.BadRequest, PaySessions.Api.OpenApi.AnyOf<PaySessions.Api.Http.ApiErrors.ErrorBody, PaySessions.Api.Http.ApiErrors.FieldErrors>>>;

namespace PaySessions.Api.Webhooks;

/// <summary>
/// <c>/webhooks/deliveries</c>: a business asks for its merchant webhooks again. They belong to no
/// session dialect, so the group takes what either dialect's merchants send (Bearer, or Basic with
/// the key as user name) with the secret key only, and answers in the service's own error shape
/// (<c>{"error":"…"}</c>, field errors <c>{"field":["…"]}</c>). Only the key's business and mode
/// are reached: another's delivery, or one of the other mode, is the same 404 as an unknown id.
/// </summary>
public static class WebhookDeliveryRoutes
{
    public const string Prefix = "/webhooks/deliveries";

    public static RouteGroupBuilder MapWebhookDeliveryRoutes(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup(Prefix)
            .RequireAuthorization()
            .WithErrorShape(ErrorShapes.Default)
            .WithApiKeyForms(ApiKeyForms.BasicOrBearerSecret)
            .WithIdempotencyKeys();
        group.MapPost("/{webhook_id}/redeliver", RedeliverWebhookEndpoint.Handle).WithName("RedeliverWebhook");
        group.MapPost("/redeliver", RedeliverWebhooksEndpoint.Handle).AddEndpointFilter<JsonRequestBody>().WithName("RedeliverWebhooks");
        return group;
    }

    /// <summary>Who asked, as recorded: the key's prefix and its SHA-256 (what <c>merchants list</c> shows), never the key.</summary>
    public static string RequestedBy(ClaimsPrincipal user)
    {
        var merchant = Merchant.From(user);
        var prefix = (merchant.Kind == ApiKeyKind.Secret ? "sk_" : "pk_") + (merchant.Livemode ? "live" : "test");
        return $"{prefix} key sha256:{user.FindFirstValue(Merchant.KeyHashClaim)}";
    }
}

/// <summary><c>POST /webhooks/deliveries/{webhook_id}/redeliver</c>: one delivery (<c>evt_…</c>, the <c>webhook-id</c>) sent again.</summary>
public static class RedeliverWebhookEndpoint
{
    public const string NotFoundMessage = "Webhook delivery not found";

    public static Task<Results<Ok<RedeliveredView>, NotFound<ApiErrors.ErrorBody>>> Handle(
        [FromRoute(Name = "webhook_id")] string id, HttpContext http, IMediator mediator) =>
        mediator.Send(new RedeliverWebhook(Merchant.From(http.User), WebhookDeliveryRoutes.RequestedBy(http.User), id), http.RequestAborted);
}

public sealed record RedeliverWebhook(Merchant Merchant, string RequestedBy, string WebhookId)
    : IRequest<Results<Ok<RedeliveredView>, NotFound<ApiErrors.ErrorBody>>>;

public sealed class RedeliverWebhookHandler(IGrainFactory grains)
    : IRequestHandler<RedeliverWebhook, Results<Ok<RedeliveredView>, NotFound<ApiErrors.ErrorBody>>>
{
    public async Task<Results<Ok<RedeliveredView>, NotFound<ApiErrors.ErrorBody>>> Handle(RedeliverWebhook request, CancellationToken cancellationToken)
    {
        // A malformed id activates nothing and is the same 404.
        if (!WebhookIds.TryParse(request.WebhookId, out _) || !request.Merchant.HasSecretKey)
        {
            return TypedResults.NotFound(new ApiErrors.ErrorBody(RedeliverWebhookEndpoint.NotFoundMessage));
        }

        var done = await grains.Get<IWebhookRedeliveryGrain>(request.Merchant.BusinessId)
            .Redeliver(request.WebhookId, request.Merchant.Livemode, request.RequestedBy);
        return done is null
            ? TypedResults.NotFound(new ApiErrors.ErrorBody(RedeliverWebhookEndpoint.NotFoundMessage))
            : TypedResults.Ok(RedeliveredView.Of(done));
    }
}

/// <summary>
/// <c>POST /webhooks/deliveries/redeliver</c>: the business's deliveries that match a filter, oldest
/// first, at most <c>limit</c> (never more than <see cref="RedeliveryFilter.MaxLimit"/>) per call.
/// </summary>
public static class RedeliverWebhooksEndpoint
{
    public static Task<RedeliverWebhooksAnswer> Handle(HttpContext http, IMediator mediator) =>
        mediator.Send(
            new RedeliverWebhooks(Merchant.From(http.User), WebhookDeliveryRoutes.RequestedBy(http.User), JsonRequestBody.Get(http)),
            http.RequestAborted);
}

public sealed record RedeliverWebhooks(Merchant Merchant, string RequestedBy, JsonElement Body)
    : IRequest<RedeliverWebhooksAnswer>;

public sealed class RedeliverWebhooksHandler(IGrainFactory grains)
    : IRequestHandler<RedeliverWebhooks, RedeliverWebhooksAnswer>
{
    public async Task<RedeliverWebhooksAnswer> Handle(
        RedeliverWebhooks request, CancellationToken cancellationToken)
    {
        var (filter, errors) = RedeliveryFilterBody.Read(request.Body, RedeliveryFilter.MaxLimit);
        if (filter is null)
        {
            // Typed as the shape's 400 (field errors or {"error"}), which the Idempotency-Key filter answers too.
            return ApiErrors.Validation(errors);
        }

        var done = await grains.Get<IWebhookRedeliveryGrain>(request.Merchant.BusinessId)
            .RedeliverMatching(filter, request.Merchant.Livemode, request.RequestedBy);
        return TypedResults.Ok(new BulkRedeliveryView(
            done.RequestId, done.Redelivered.Count, [.. done.Redelivered.Select(RedeliveredView.Of)], done.HasMore, done.NextCreatedFrom));
    }
}

/// <summary>
/// The bulk call's body: <c>type</c> (a webhook type as sent, e.g. <c>succeeded</c>), <c>created_from</c>
/// and <c>created_to</c> (RFC 3339 times with an offset; from inclusive, to exclusive), <c>only_undelivered</c>
/// (default true) and <c>limit</c> (1 to the maximum, default the maximum). Every field is optional;
/// <c>null</c> counts as absent. Any other field is refused: a misspelt filter must not widen a
/// bulk redelivery to everything. Every field error is reported at once.
/// </summary>
public static class RedeliveryFilterBody
{
    private static readonly string[] Fields = ["type", "created_from", "created_to", "only_undelivered", "limit"];

    public static (RedeliveryFilter? Filter, Dictionary<string, List<string>> Errors) Read(JsonElement body, int maxLimit)
    {
        var errors = new Dictionary<string, List<string>>();
        void Error(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
            {
                errors[field] = list = [];
            }

            list.Add(message);
        }

        foreach (var property in body.EnumerateObject())
        {
            if (!Fields.Contains(property.Name, StringComparer.Ordinal))
            {
                Error(property.Name.Length <= 64 ? property.Name : "body", "This field is not a filter of a bulk redelivery (type, created_from, created_to, only_undelivered, limit).");
            }
        }

        string? type = null;
        if (Present(body, "type") is { } typeValue)
        {
            if (typeValue.ValueKind != JsonValueKind.String || typeValue.GetString() is not { Length: >= 1 and <= 100 } text)
            {
                Error("type", "The type field must be a string of 1 to 100 characters.");
            }
            else
            {
                type = text;
            }
        }

        var from = Time(body, "created_from", Error);
        var to = Time(body, "created_to", Error);
        if (from is not null && to is not null && from >= to)
        {
            Error("created_to", "The created to field must be a date after created from.");
        }

        var onlyUndelivered = true;
        if (Present(body, "only_undelivered") is { } flag)
        {
            if (flag.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                onlyUndelivered = flag.GetBoolean();
            }
            else
            {
                Error("only_undelivered", "The only undelivered field must be true or false.");
            }
        }

        var limit = maxLimit;
        if (Present(body, "limit") is { } limitValue)
        {
            if (limitValue.ValueKind != JsonValueKind.Number || !limitValue.TryGetInt32(out limit) || limit < 1 || limit > maxLimit)
            {
                Error("limit", $"The limit field must be an integer between 1 and {maxLimit.ToString(CultureInfo.InvariantCulture)}.");
            }
        }

        return errors.Count > 0 ? (null, errors) : (new RedeliveryFilter(type, from, to, onlyUndelivered, limit), errors);
    }

    private static JsonElement? Present(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static DateTimeOffset? Time(JsonElement body, string name, Action<string, string> error)
    {
        if (Present(body, name) is not { } value)
        {
            return null;
        }

        // RFC 3339 with an explicit offset (Z or ±hh:mm): a time without one names no instant.
        if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: >= 20 and <= 40 } text
            && text[4] == '-' && text[10] is 'T' or 't'
            && (text[^1] is 'Z' or 'z' || text[^6] is '+' or '-')
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
        {
            return at;
        }

        error(name, $"The {name.Replace('_', ' ')} field must be an RFC 3339 date-time with an offset, such as 2026-12-01T10:00:00Z.");
        return null;
    }
}

/// <summary>One delivery made pending again; it keeps its id (the <c>webhook-id</c> header).</summary>
public sealed record RedeliveredView(string Id, string SessionId, string Type, string PreviousStatus, string Status, string RequestId)
{
    public static RedeliveredView Of(RedeliveredWebhook webhook) =>
        new(webhook.WebhookId, webhook.SessionId, webhook.Type, webhook.PreviousStatus, "pending", webhook.RequestId);
}

/// <summary>A bulk call's answer: how many were redelivered, which, and whether more matched (then call again from <c>next_created_from</c>).</summary>
public sealed record BulkRedeliveryView(
    string RequestId, int Redelivered, IReadOnlyList<RedeliveredView> Webhooks, bool HasMore, DateTimeOffset? NextCreatedFrom);
