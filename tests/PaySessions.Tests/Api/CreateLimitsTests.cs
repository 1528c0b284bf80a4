using System.Net;
using System.Text.Json.Nodes;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>The README's create limits: each one is accepted at its boundary, and refused one past it with a 400 that writes nothing.</summary>
[Collection(ApiCollection.Name)]
public sealed class CreateLimitsTests(ApiFixture api)
{
    [Theory]
    [InlineData("amount at least 100", "amount")]
    [InlineData("amount at most 999999999999", "amount")]
    [InlineData("at most 100 items", "items")]
    [InlineData("quantity at most 1000000", "items.0.quantity")]
    [InlineData("customer at most 255 characters", "customer")]
    [InlineData("order_id at most 255 characters", "order_id")]
    [InlineData("item name at most 255 characters", "items.0.name")]
    [InlineData("description at most 1000 characters", "description")]
    [InlineData("at most 50 metadata keys", "metadata")]
    [InlineData("metadata keys at most 40 characters", "metadata")]
    [InlineData("metadata keys at least 1 character", "metadata")]
    [InlineData("metadata values at most 500 characters", "metadata.k")]
    public async Task A_limit_is_accepted_at_its_boundary_and_refused_one_past_it(string limit, string errorField)
    {
        var atBoundary = Body(limit, onePast: false);
        var onePast = Body(limit, onePast: true);

        var accepted = await api.Post("/session", ApiFixture.DevSecretKey, atBoundary.ToJsonString());
        var refused = await api.Post("/session", ApiFixture.DevSecretKey, onePast.ToJsonString());

        Assert.True(HttpStatusCode.Created == accepted.StatusCode, $"{limit} at the boundary: {(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal([errorField], (await Bodies.Errors(refused)).Keys);
        var orderId = onePast["order_id"]!.GetValue<string>();
        Assert.Equal(0, await api.SessionRows(ApiFixture.DevBusiness, orderId));
        Assert.Equal(0, await api.CreatedEvents(ApiFixture.DevBusiness, orderId));
    }

    private static JsonObject Body(string limit, bool onePast)
    {
        var past = onePast ? 1 : 0;
        var body = Bodies.SeedExample();
        switch (limit)
        {
            case "amount at least 100":
                SetItems(body, Item(100 - past));
                break;
            case "amount at most 999999999999":
                // Two items, each within the price limit, so only the amount is over.
                SetItems(body, Item(500_000_000_000), Item(499_999_999_999 + past));
                break;
            case "at most 100 items":
                SetItems(body, [.. Enumerable.Range(0, 100 + past).Select(_ => Item(100))]);
                break;
            case "quantity at most 1000000":
                SetItems(body, Item(price: 1, quantity: 1_000_000 + past));
                break;
            case "customer at most 255 characters":
                body["customer"] = Text("customer_", 255 + past);
                break;
            case "order_id at most 255 characters":
                body["order_id"] = Text("order_" + Guid.NewGuid().ToString("N") + "_", 255 + past);
                break;
            case "item name at most 255 characters":
                body["items"]![0]!["name"] = Text("item_", 255 + past);
                break;
            case "description at most 1000 characters":
                body["description"] = Text("", 1000 + past);
                break;
            case "at most 50 metadata keys":
                body["metadata"] = Metadata(Enumerable.Range(0, 50 + past).Select(i => ($"k{i}", "v")));
                break;
            case "metadata keys at most 40 characters":
                body["metadata"] = Metadata([(Text("key_", 40 + past), "v")]);
                break;
            case "metadata keys at least 1 character":
                body["metadata"] = Metadata([(onePast ? "" : "k", "v")]);
                break;
            case "metadata values at most 500 characters":
                body["metadata"] = Metadata([("k", Text("value_", 500 + past))]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(limit), limit, "no such limit");
        }

        return body;
    }

    private static JsonObject Item(long price, long quantity = 1) => new() { ["name"] = "Thing", ["quantity"] = quantity, ["price"] = price };

    private static void SetItems(JsonObject body, params JsonObject[] items)
    {
        body["items"] = new JsonArray([.. items]);
        body["amount"] = items.Sum(i => i["price"]!.GetValue<long>() * i["quantity"]!.GetValue<long>());
    }

    private static string Text(string prefix, int length) => prefix + new string('x', length - prefix.Length);

    private static JsonObject Metadata(IEnumerable<(string Key, string Value)> pairs)
    {
        var metadata = new JsonObject();
        foreach (var (key, value) in pairs)
        {
            metadata[key] = value;
        }

        return metadata;
    }
}
