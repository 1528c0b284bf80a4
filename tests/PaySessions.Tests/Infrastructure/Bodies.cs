using System.Text.Json;
using System.Text.Json.Nodes;

namespace PaySessions.Tests.Infrastructure;

/// <summary>Request bodies: the seed's own example, with fresh order ids and customers.</summary>
public static class Bodies
{
    public static JsonObject SeedExample(string? orderId = null, string? customer = null) => new()
    {
        ["amount"] = 10000,
        ["currency"] = "USD",
        ["customer"] = customer ?? "customer_" + Guid.NewGuid().ToString("N")[..10],
        ["order_id"] = orderId ?? "order_" + Guid.NewGuid().ToString("N")[..12],
        ["description"] = "Premium subscription",
        ["metadata"] = new JsonObject { ["user_id"] = "usr_123", ["plan"] = "premium" },
        ["items"] = new JsonArray(new JsonObject { ["name"] = "Premium Plan", ["quantity"] = 1, ["price"] = 10000 }),
    };

    public static async Task<JsonObject> Json(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    /// <summary>The field-error body as a plain dictionary, for exact comparison.</summary>
    public static async Task<Dictionary<string, string[]>> Errors(HttpResponseMessage response) =>
        JsonSerializer.Deserialize<Dictionary<string, string[]>>(await response.Content.ReadAsStringAsync())!;

    public static string ParseSessionId(string createdBody) =>
        System.Text.Json.Nodes.JsonNode.Parse(createdBody)!["session_id"]!.GetValue<string>();
}
