// The baseline of bench/create: a plain ASP.NET Core + Npgsql service doing what a PaySessions
// create and read must do, and nothing else. It checks the Bearer key against an in-memory table of
// SHA-256 hashes (no database round trip), validates the same Payviox body, and commits the same
// Created event row and sessions projection row in one transaction per request, with
// synchronous_commit on. GET /session/{id} reads the projection row with one SELECT.
using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;

var builder = WebApplication.CreateSlimBuilder(args);
var connectionString = builder.Configuration.GetConnectionString("Baseline")
    ?? throw new InvalidOperationException("Set ConnectionStrings__Baseline.");
builder.Services.AddSingleton(_ =>
{
    var dataSource = new NpgsqlDataSourceBuilder(connectionString);
    return dataSource.Build();
});

var app = builder.Build();
var keys = new KeyTable(app.Configuration["Baseline:SecretKey"] ?? "sk_test_devmerchant000000000000", "merchant_dev");

app.MapPost("/session", async (HttpRequest request, NpgsqlDataSource db) =>
{
    if (keys.Find(request.Headers.Authorization.ToString()) is not { } businessId)
    {
        return Results.Json(new { error = "Unauthorized" }, statusCode: 401);
    }

    JsonDocument document;
    try
    {
        document = await JsonDocument.ParseAsync(request.Body);
    }
    catch (JsonException)
    {
        return Results.Json(new Dictionary<string, string[]> { ["body"] = ["The request body must be valid JSON."] }, statusCode: 400);
    }

    using (document)
    {
        var errors = new Dictionary<string, string[]>();
        var body = CreateBody.Read(document.RootElement, errors);
        if (body is null)
        {
            return Results.Json(errors, statusCode: 400);
        }

        var sessionId = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        var expiresAt = now.AddHours(24);
        var eventId = Guid.NewGuid();
        var data = CreateBody.EventJson(body, businessId, eventId, now, expiresAt);

        await using var connection = await db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            batch.BatchCommands.Add(Command(
                "INSERT INTO session_events (stream_id, version, event_id, type, data, occurred_at) VALUES ($1, 1, $2, 'Created', $3::json, $4)",
                sessionId, eventId, data, now));
            batch.BatchCommands.Add(Command(
                "INSERT INTO sessions (session_id, business_id, order_id, customer, status, amount, currency, created_at, expires_at, version, livemode, updated_at) " +
                "VALUES ($1, $2, $3, $4, 'created', $5, $6, $7, $8, 1, false, now())",
                sessionId, businessId, body.OrderId, body.Customer, body.Amount, body.Currency, now, expiresAt));
            try
            {
                await batch.ExecuteNonQueryAsync();
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "sessions_business_order_key")
            {
                return Results.Json(new Dictionary<string, string[]> { ["order_id"] = ["The order id has already been taken."] }, statusCode: 400);
            }
        }

        await transaction.CommitAsync();
        return Results.Json(new { session_id = sessionId }, statusCode: 201);
    }
});

app.MapGet("/session/{id}", async (string id, HttpRequest request, NpgsqlDataSource db) =>
{
    if (keys.Find(request.Headers.Authorization.ToString()) is not { } businessId)
    {
        return Results.Json(new { error = "Unauthorized" }, statusCode: 401);
    }

    await using var command = db.CreateCommand(
        "SELECT status, amount, currency, customer, order_id, created_at, expires_at, livemode FROM sessions WHERE session_id = $1 AND business_id = $2");
    command.Parameters.Add(new NpgsqlParameter { Value = id });
    command.Parameters.Add(new NpgsqlParameter { Value = businessId });
    await using var reader = await command.ExecuteReaderAsync();
    if (!await reader.ReadAsync())
    {
        return Results.Json(new { error = "Session not found" }, statusCode: 404);
    }

    return Results.Json(new
    {
        session_id = id,
        status = reader.GetString(0),
        amount = reader.GetInt64(1),
        currency = reader.GetString(2),
        customer = reader.GetString(3),
        order_id = reader.GetString(4),
        created_at = reader.GetFieldValue<DateTimeOffset>(5),
        expires_at = reader.GetFieldValue<DateTimeOffset>(6),
        livemode = reader.GetBoolean(7),
    });
});

// Pay with the sandbox: one transaction moves the session to payment_initiated (event, projection,
// provider reference). The reference is derived from the session and method, keyed with the sandbox secret.
var sandboxSecret = app.Configuration["Baseline:SandboxSecret"] ?? "whsec_sandbox_development_only_0000";
var methods = "sandbox_card sandbox_wallet".Split(' ').ToFrozenSet(StringComparer.Ordinal);
var publicBaseUrl = app.Configuration["Baseline:PublicBaseUrl"] ?? "http://127.0.0.1";

app.MapPost("/session/{id}/pay", async (string id, HttpRequest request, NpgsqlDataSource db) =>
{
    if (keys.Find(request.Headers.Authorization.ToString()) is not { } businessId)
    {
        return Results.Json(new { error = "Unauthorized" }, statusCode: 401);
    }

    string? method;
    try
    {
        using var document = await JsonDocument.ParseAsync(request.Body);
        method = document.RootElement.ValueKind == JsonValueKind.Object
            && document.RootElement.TryGetProperty("paymentMethodId", out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() : null;
    }
    catch (JsonException)
    {
        return Results.Json(new Dictionary<string, string[]> { ["body"] = ["The request body must be valid JSON."] }, statusCode: 400);
    }

    if (method is null || !methods.Contains(method))
    {
        return Results.Json(new { error = "Payment method not found" }, statusCode: 400);
    }

    // Derived as the service derives it (first attempt of this method), so sign.py can sign its webhook ahead.
    var attempt = "att_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{id}/1/{method}")))[..32];
    var reference = "sbx_" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(sandboxSecret), Encoding.UTF8.GetBytes(attempt)))[..24];
    await using var connection = await db.OpenConnectionAsync();
    await using var transaction = await connection.BeginTransactionAsync();
    var session = await Sessions.Lock(connection, transaction, id, businessId);
    if (session is null)
    {
        return Results.Json(new { error = "Session not found" }, statusCode: 404);
    }

    if (session.Value.Status != "created")
    {
        return Results.Json(new { error = "Session cannot be paid" }, statusCode: 409);
    }

    var data = JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["payment_method_id"] = method, ["provider"] = "sandbox", ["provider_reference"] = reference,
        ["amount"] = session.Value.Amount, ["currency"] = session.Value.Currency,
    });
    await Sessions.Append(connection, transaction, id, session.Value.Version + 1, "PaymentInitiated", data, "payment_initiated",
        ("INSERT INTO provider_references (provider, reference, session_id) VALUES ('sandbox', $1, $2)", [reference, id]));
    await transaction.CommitAsync();
    return Results.Json(new { session_id = id, redirect_url = $"{publicBaseUrl}/sandbox/checkout/{reference}" });
});

// The provider's webhook: the signature (t=…,v1=hex HMAC-SHA256 of "t.body") checked in constant
// time, the reference looked up, and the session completed in one transaction.
app.MapPost("/webhooks/sandbox", async (HttpRequest request, NpgsqlDataSource db) =>
{
    using var buffer = new MemoryStream();
    await request.Body.CopyToAsync(buffer);
    var body = buffer.ToArray();
    if (!Signature.Verify(request.Headers["Webhook-Signature"].ToString(), sandboxSecret, body, DateTimeOffset.UtcNow))
    {
        return Results.Json(new { error = "Invalid signature" }, statusCode: 401);
    }

    string reference;
    long amount;
    string currency;
    try
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        reference = root.GetProperty("reference").GetString() ?? "";
        amount = root.GetProperty("amount").GetInt64();
        currency = root.GetProperty("currency").GetString() ?? "";
        if (root.GetProperty("type").GetString() != "payment.succeeded")
        {
            return Results.Json(new { error = "Malformed webhook" }, statusCode: 400);
        }
    }
    catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
    {
        return Results.Json(new { error = "Malformed webhook" }, statusCode: 400);
    }

    await using var connection = await db.OpenConnectionAsync();
    await using var transaction = await connection.BeginTransactionAsync();
    string? sessionId;
    await using (var find = new NpgsqlCommand("SELECT session_id FROM provider_references WHERE provider = 'sandbox' AND reference = $1", connection, transaction))
    {
        find.Parameters.Add(new NpgsqlParameter { Value = reference });
        sessionId = await find.ExecuteScalarAsync() as string;
    }

    var session = sessionId is null ? null : await Sessions.Lock(connection, transaction, sessionId, businessId: null);
    if (sessionId is null || session is null)
    {
        return Results.Json(new { error = "Unknown payment reference" }, statusCode: 404);
    }

    if (session.Value.Status == "payment_initiated" && session.Value.Amount == amount && session.Value.Currency == currency)
    {
        var data = JsonSerializer.Serialize(new Dictionary<string, object> { ["provider_reference"] = reference, ["amount"] = amount, ["currency"] = currency });
        await Sessions.Append(connection, transaction, sessionId, session.Value.Version + 1, "Completed", data, "completed");
        await transaction.CommitAsync();
    }

    return Results.Json(new { received = true });
});

await app.RunAsync();

static NpgsqlBatchCommand Command(string sql, params object[] values)
{
    var command = new NpgsqlBatchCommand(sql);
    foreach (var value in values)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = value });
    }

    return command;
}

/// <summary>Secret keys by the SHA-256 of their text, compared by hash (so in constant time per key).</summary>
internal sealed class KeyTable(string secretKey, string businessId)
{
    private readonly FrozenDictionary<string, string> _businessByHash =
        new Dictionary<string, string> { [Hash(secretKey)] = businessId }.ToFrozenDictionary(StringComparer.Ordinal);

    public string? Find(string authorization)
    {
        const string prefix = "Bearer ";
        if (!authorization.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        return _businessByHash.TryGetValue(Hash(authorization[prefix.Length..]), out var business) ? business : null;
    }

    private static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}

internal sealed record Item(string Name, long Quantity, long Price);

internal sealed record CreateBody(
    long Amount, string Currency, string Customer, string OrderId, string? Description,
    IReadOnlyDictionary<string, string>? Metadata, IReadOnlyList<Item> Items)
{
    private static readonly FrozenSet<string> Currencies = (
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF BHD IQD JOD KWD LYD OMR TND " +
        "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD " +
        "CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP " +
        "GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD " +
        "LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB " +
        "PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC " +
        "SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG")
        .Split(' ').ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The body, or null with every error of it in <paramref name="errors"/>.</summary>
    public static CreateBody? Read(JsonElement root, Dictionary<string, string[]> errors)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = ["The request body must be a JSON object."];
            return null;
        }

        var amount = Integer(root, "amount", "amount", 100, 999_999_999_999, errors);
        var currency = Text(root, "currency", "currency", 3, errors)?.ToUpperInvariant();
        if (currency is not null && !Currencies.Contains(currency))
        {
            errors["currency"] = ["The selected currency is invalid."];
        }

        var customer = Text(root, "customer", "customer", 255, errors);
        var orderId = Text(root, "order_id", "order id", 255, errors);
        var description = Optional(root, "description") is null ? null : Text(root, "description", "description", 1000, errors);
        var metadata = ReadMetadata(root, errors);
        var items = ReadItems(root, errors);
        if (amount is { } total && items is not null && items.Count > 0 && items.Sum(i => i.Quantity * i.Price) != total)
        {
            errors["amount"] = ["The amount must equal the sum of price times quantity of the items."];
        }

        return errors.Count > 0 ? null : new CreateBody(amount!.Value, currency!, customer!, orderId!, description, metadata, items!);
    }

    public static string EventJson(CreateBody body, string businessId, Guid eventId, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("business_id", businessId);
            json.WriteString("order_id", body.OrderId);
            json.WriteString("customer", body.Customer);
            json.WriteNumber("amount", body.Amount);
            json.WriteString("currency", body.Currency);
            json.WriteStartArray("items");
            foreach (var item in body.Items)
            {
                json.WriteStartObject();
                json.WriteString("name", item.Name);
                json.WriteNumber("quantity", item.Quantity);
                json.WriteNumber("price", item.Price);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("description", body.Description);
            json.WriteStartObject("metadata");
            foreach (var (key, value) in body.Metadata ?? new Dictionary<string, string>())
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteString("expires_at", expiresAt);
            json.WriteString("dialect", "payviox");
            json.WriteString("session_type", "pay");
            json.WriteString("event_id", eventId);
            json.WriteString("occurred_at", now);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static JsonElement? Optional(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static long? Integer(JsonElement parent, string name, string path, long min, long max, Dictionary<string, string[]> errors)
    {
        if (Optional(parent, name) is not { } value)
        {
            errors[path] = [$"The {path} field is required."];
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number) || value.GetRawText().Contains('.', StringComparison.Ordinal))
        {
            errors[path] = [$"The {path} field must be an integer."];
            return null;
        }

        if (number < min || number > max)
        {
            errors[path] = [$"The {path} field must be between {min} and {max}."];
            return null;
        }

        return number;
    }

    private static string? Text(JsonElement parent, string name, string label, int maxLength, Dictionary<string, string[]> errors)
    {
        if (Optional(parent, name) is not { } value)
        {
            errors[name] = [$"The {label} field is required."];
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors[name] = [$"The {label} field must be a string."];
            return null;
        }

        var text = value.GetString()!;
        if (text.Length == 0 || text.Length > maxLength)
        {
            errors[name] = [$"The {label} field must be 1 to {maxLength} characters."];
            return null;
        }

        return text;
    }

    private static Dictionary<string, string>? ReadMetadata(JsonElement root, Dictionary<string, string[]> errors)
    {
        if (Optional(root, "metadata") is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            errors["metadata"] = ["The metadata field must be an object."];
            return null;
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var text = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                _ => null,
            };
            if (property.Name.Length is 0 or > 40 || text is null || text.Length > 500)
            {
                errors[$"metadata.{property.Name}"] = ["The metadata value is invalid."];
                continue;
            }

            metadata[property.Name] = text;
        }

        if (metadata.Count > 50)
        {
            errors["metadata"] = ["The metadata field must not have more than 50 keys."];
        }

        return metadata;
    }

    private static List<Item>? ReadItems(JsonElement root, Dictionary<string, string[]> errors)
    {
        if (Optional(root, "items") is not { } value)
        {
            errors["items"] = ["The items field is required."];
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 or > 100)
        {
            errors["items"] = ["The items field must be an array of 1 to 100 items."];
            return null;
        }

        var items = new List<Item>();
        var index = 0;
        foreach (var element in value.EnumerateArray())
        {
            var path = $"items.{index++}";
            if (element.ValueKind != JsonValueKind.Object)
            {
                errors[path] = [$"The {path} field must be an object."];
                continue;
            }

            var count = errors.Count;
            var name = Text(element, "name", $"{path}.name", 255, errors);
            var quantity = Integer(element, "quantity", $"{path}.quantity", 1, 1_000_000, errors);
            var price = Integer(element, "price", $"{path}.price", 1, 999_999_999_999, errors);
            if (errors.Count == count)
            {
                items.Add(new Item(name!, quantity!.Value, price!.Value));
            }
        }

        return items;
    }
}

/// <summary>The session row read under a lock, and one event appended with its projection update.</summary>
internal static class Sessions
{
    public static async Task<(int Version, string Status, long Amount, string Currency)?> Lock(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string id, string? businessId)
    {
        await using var command = new NpgsqlCommand(
            "SELECT version, status, amount, currency FROM sessions WHERE session_id = $1 AND ($2::text IS NULL OR business_id = $2) FOR UPDATE",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)businessId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt32(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3)) : null;
    }

    public static async Task Append(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string id, int version, string type, string data, string status,
        params (string Sql, object[] Values)[] more)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(With(
            "INSERT INTO session_events (stream_id, version, event_id, type, data, occurred_at) VALUES ($1, $2, $3, $4, $5::json, now())",
            id, version, Guid.NewGuid(), type, data));
        batch.BatchCommands.Add(With("UPDATE sessions SET status = $2, version = $3, updated_at = now() WHERE session_id = $1", id, status, version));
        foreach (var (sql, values) in more)
        {
            batch.BatchCommands.Add(With(sql, values));
        }

        await batch.ExecuteNonQueryAsync();
    }

    private static NpgsqlBatchCommand With(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}

/// <summary>The webhook signature scheme: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "t.body")&gt;</c>, 5 minutes' tolerance.</summary>
internal static class Signature
{
    public static bool Verify(string header, string secret, byte[] body, DateTimeOffset now)
    {
        string? timestamp = null;
        string? given = null;
        foreach (var part in header.Split(','))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal))
            {
                timestamp = part[2..];
            }
            else if (part.StartsWith("v1=", StringComparison.Ordinal))
            {
                given = part[3..];
            }
        }

        if (timestamp is null || given is not { Length: 64 } || !long.TryParse(timestamp, out var seconds)
            || Math.Abs(now.ToUnixTimeSeconds() - seconds) > 300)
        {
            return false;
        }

        var signed = Encoding.UTF8.GetBytes(timestamp + ".").Concat(body).ToArray();
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        try
        {
            return CryptographicOperations.FixedTimeEquals(Convert.FromHexString(given), expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
