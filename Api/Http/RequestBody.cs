using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace PaySessions.Api.Http;

/// <summary>Reads a request body without ever holding more than the limit (plus one read) in memory.</summary>
public static class RequestBody
{
    public const int MaxBytes = 1024 * 1024;

    private static readonly object ItemKey = new();

    /// <summary>
    /// The body, or null when it is larger than <see cref="MaxBytes"/> (declared or sent). Read
    /// once per request: a second caller (the JSON filter after the idempotency filter) gets the
    /// same bytes.
    /// </summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpContext http)
    {
        if (http.Items[ItemKey] is ReadBody known)
        {
            return known.Bytes;
        }

        var bytes = await ReadOnceAsync(http);
        http.Items[ItemKey] = new ReadBody(bytes);
        return bytes;
    }

    private sealed record ReadBody(ReadOnlyMemory<byte>? Bytes);

    private static async Task<ReadOnlyMemory<byte>?> ReadOnceAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxBytes)
        {
            return null;
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes + 1L;
        }

        // Kestrel's pooled pipe holds the body until all of it is in (nothing is consumed before
        // that); then exactly its bytes are copied out, one array of the body's size.
        var reader = http.Request.BodyReader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(http.RequestAborted);
                var received = result.Buffer;
                if (received.Length > MaxBytes)
                {
                    reader.AdvanceTo(received.End);
                    return null;
                }

                if (result.IsCompleted)
                {
                    var bytes = received.ToArray();
                    reader.AdvanceTo(received.End);
                    return bytes;
                }

                reader.AdvanceTo(received.Start, received.End);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
    }
}
