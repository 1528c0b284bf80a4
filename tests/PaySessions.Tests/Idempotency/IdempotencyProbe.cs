using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Idempotency;

/// <summary>One answer as the client saw it: status, the exact body bytes and the headers idempotency speaks through.</summary>
public sealed record Answer(HttpStatusCode Status, byte[] Body, string? ContentType, string? Location, bool Replayed, string? RetryAfter)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public JsonNode Json => JsonNode.Parse(Body)!;

    /// <summary>Status, content type, Location and body bytes: what a replay must repeat.</summary>
    public bool SameAs(Answer other) =>
        Status == other.Status && Body.AsSpan().SequenceEqual(other.Body) && ContentType == other.ContentType && Location == other.Location;

    public override string ToString() => $"{(int)Status} {Text}{(Replayed ? " (replayed)" : "")}";
}

/// <summary>Requests with an <c>Idempotency-Key</c> over real HTTP, and the rows they leave.</summary>
public static class IdempotencyProbe
{
    public const string ReusedPayviox =
        """{"error":"This Idempotency-Key was already used with another request (method, path, body or acting business). Use a new key for a new request."}""";

    public const string InUsePayviox = """{"error":"A request with this Idempotency-Key is still being processed. Retry after it has finished."}""";

    public const string ReusedXendit =
        """{"error_code":"IDEMPOTENCY_KEY_REUSED","message":"This Idempotency-Key was already used with another request (method, path, body or acting business). Use a new key for a new request."}""";

    public const string InUseXendit =
        """{"error_code":"IDEMPOTENCY_KEY_IN_USE","message":"A request with this Idempotency-Key is still being processed. Retry after it has finished."}""";

    public static string NewKey() => "key_" + Guid.NewGuid().ToString("N");

    public static AuthenticationHeaderValue Bearer(string key) => new("Bearer", key);

    public static AuthenticationHeaderValue Basic(string key) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")));

    /// <summary>POST <paramref name="path"/>; <paramref name="keys"/> are sent as that many <c>Idempotency-Key</c> headers.</summary>
    public static async Task<Answer> Post(
        HttpClient http, string path, AuthenticationHeaderValue? auth, string? body, string?[] keys, string? forUserId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = auth;
        foreach (var key in keys)
        {
            if (key is not null)
            {
                Assert.True(request.Headers.TryAddWithoutValidation("Idempotency-Key", key));
            }
        }

        if (forUserId is not null)
        {
            request.Headers.Add("for-user-id", forUserId);
        }

        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await http.SendAsync(request);
        return new Answer(
            response.StatusCode,
            await response.Content.ReadAsByteArrayAsync(),
            response.Content.Headers.ContentType?.ToString(),
            response.Headers.Location?.ToString(),
            response.Headers.TryGetValues("Idempotent-Replayed", out var replayed) && replayed.Single() == "true",
            response.Headers.TryGetValues("Retry-After", out var retry) ? retry.Single() : null);
    }

    public static Task<Answer> Post(HttpClient http, string path, AuthenticationHeaderValue? auth, string? body, string? key, string? forUserId = null) =>
        Post(http, path, auth, body, [key], forUserId);

    public static async Task<long> Count(string connectionString, string sql, params object[] values)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Rows of <c>idempotency_keys</c> for a key, whatever its business.</summary>
    public static Task<long> KeyRows(string connectionString, string key) =>
        Count(connectionString, "SELECT count(*) FROM idempotency_keys WHERE idempotency_key = $1", key);

    /// <summary>Sessions of a business for an order id (a Xendit reference_id is stored as the order id).</summary>
    public static Task<long> SessionCount(string connectionString, string businessId, string orderId) =>
        Count(connectionString, "SELECT count(*) FROM sessions WHERE business_id = $1 AND order_id = $2", businessId, orderId);

    public static Task<long> Events(string connectionString, string sessionId, string type) =>
        Count(connectionString, "SELECT count(*) FROM session_events WHERE stream_id = $1 AND type = $2", sessionId, type);

    /// <summary>The Payviox seed example with an order id (and customer) of its own.</summary>
    public static string PayvioxBody(string orderId) => Bodies.SeedExample(orderId, "cust_" + orderId).ToJsonString();

    /// <summary>The Xendit seed's PAY example with a reference of its own and a customer of its own.</summary>
    public static string XenditBody(string referenceId, string? customerReference = null)
    {
        var body = JsonNode.Parse(XenditSeedExamples.Pay)!.AsObject();
        body["reference_id"] = referenceId;
        body["customer"]!["reference_id"] = customerReference ?? "cust_" + referenceId;
        return body.ToJsonString();
    }
}
