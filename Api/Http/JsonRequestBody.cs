using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace PaySessions.Api.Http;

/// <summary>
/// Reads a request body as one JSON document, before any handler sees it: at most 1 MiB (413
/// beyond), nesting at most 64 deep, no duplicate property names, and an object at the top.
/// Anything else is a 400 in the route's error shape (<see cref="ErrorShapes"/>), so hostile
/// bodies never reach a grain.
/// </summary>
public sealed class JsonRequestBody : IEndpointFilter
{
    public const string InvalidJson = "The request body must be valid JSON.";
    public const string NotAnObject = "The request body must be a JSON object.";

    private static readonly object ItemKey = new();

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (await RequestBody.ReadAsync(http) is not { } body)
        {
            return ErrorShapes.For(http).Failure(RequestFailure.BodyTooLarge);
        }

        if (WellFormedJson.TryParse(body) is not { } document)
        {
            return ErrorShapes.For(http).Failure(RequestFailure.MalformedJson);
        }

        http.Response.RegisterForDispose(document);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return ErrorShapes.For(http).Failure(RequestFailure.NotAnObject);
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

/// <summary>
/// JSON a handler can read without a single exception: valid UTF-8 throughout, every property
/// name and string value decodes to well-formed UTF-16 (an escaped lone surrogate such as
/// <c>"\ud800"</c> is JSON-legal but cannot be turned into text safely), no two property names of
/// one object equal once unescaped, at most 64 deep, no comments or trailing commas. A UTF-8 byte
/// order mark in front is allowed and skipped. Checked once here, so handlers trust the document.
/// </summary>
public static class WellFormedJson
{
    public const int MaxDepth = 64;

    private static readonly JsonDocumentOptions Options = new()
    {
        MaxDepth = MaxDepth,
        AllowDuplicateProperties = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>The parsed document, or null when the bytes are not JSON every reader can trust.</summary>
    public static JsonDocument? TryParse(ReadOnlyMemory<byte> body)
    {
        if (body.Span.StartsWith(ByteOrderMark))
        {
            body = body[ByteOrderMark.Length..];
        }

        // Raw bytes are validated as a whole first: the JSON reader checks structure, not the
        // UTF-8 inside strings, and would only fail later, when a handler reads such a string.
        if (!Utf8.IsValid(body.Span))
        {
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, Options);
        }
        catch (Exception e) when (IsDecodingFailure(e))
        {
            return null;
        }

        bool clean;
        try
        {
            clean = IsClean(document.RootElement);
        }
        catch (Exception e) when (IsDecodingFailure(e))
        {
            clean = false;
        }

        if (!clean)
        {
            document.Dispose();
            return null;
        }

        return document;
    }

    // What System.Text.Json throws for text it cannot read: JsonException for syntax,
    // InvalidOperationException or ArgumentException (DecoderFallbackException among them) when
    // unescaping or transcoding fails, FormatException for malformed escapes in some paths.
    private static bool IsDecodingFailure(Exception e) =>
        e is JsonException or InvalidOperationException or ArgumentException or FormatException;

    private static bool IsClean(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    var name = property.Name;
                    if (!IsWellFormedUtf16(name) || !names.Add(name) || !IsClean(property.Value))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (!IsClean(item))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.String:
                return IsWellFormedUtf16(element.GetString()!);
            default:
                return true;
        }
    }

    /// <summary>No unpaired surrogate: the text round-trips through UTF-8 unchanged.</summary>
    public static bool IsWellFormedUtf16(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i]))
            {
                continue;
            }

            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            return false;
        }

        return true;
    }
}
