using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace PaySessions.Api.Http;

/// <summary>
/// Reads a request body as one JSON document, before any handler sees it: at most 1 MiB (413
/// beyond), nesting at most 64 deep, no duplicate property names, and an object at the top.
/// Anything else is a 400 in the field-error shape, so hostile bodies never reach a grain.
/// </summary>
public sealed class JsonRequestBody : IEndpointFilter
{
    public const int MaxBytes = 1024 * 1024;

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
        if (http.Request.ContentLength > MaxBytes)
        {
            return TooLarge();
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes + 1L;
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                var read = await http.Request.Body.ReadAsync(buffer.GetMemory(8192), http.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > MaxBytes)
                {
                    return TooLarge();
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge();
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.WrittenMemory, Options);
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

    private static IResult TooLarge() =>
        ApiErrors.Error(StatusCodes.Status413PayloadTooLarge, "Request body too large");
}
