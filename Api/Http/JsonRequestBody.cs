using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace PaySessions.Api.Http;

/// <summary>
/// Reads a request body as one JSON document, before any handler sees it: at most 1 MiB (413
/// beyond), nesting at most 64 deep, no duplicate property names, and an object at the top.
/// Anything else is a 400 in the field-error shape, so hostile bodies never reach a grain.
/// </summary>
public sealed class JsonRequestBody : IEndpointFilter
{
    private static readonly JsonDocumentOptions Options = new()
    {
        MaxDepth = 64,
        AllowDuplicateProperties = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    private static readonly object ItemKey = new();

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (await RequestBody.ReadAsync(http) is not { } body)
        {
            return RequestBody.TooLarge();
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, Options);
        }
        catch (JsonException)
        {
            return ApiErrors.Validation("body", "The request body must be valid JSON.");
        }

        http.Response.RegisterForDispose(document);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return ApiErrors.Validation("body", "The request body must be a JSON object.");
        }

        http.Items[ItemKey] = document;
        return await next(context);
    }

    /// <summary>The body this filter read; only on endpoints the filter guards.</summary>
    public static JsonElement Get(HttpContext http) =>
        http.Items[ItemKey] is JsonDocument document
            ? document.RootElement
            : throw new InvalidOperationException("The endpoint has no JsonRequestBody filter.");
}
