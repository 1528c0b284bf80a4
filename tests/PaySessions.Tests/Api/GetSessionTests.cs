using System.Net;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class GetSessionTests(ApiFixture api)
{
    [Fact]
    public async Task The_owner_reads_the_session_with_its_status()
    {
        var body = Bodies.SeedExample();
        body["ip"] = "203.0.113.42";
        var id = await Create(body.ToJsonString());

        var response = await api.Get($"/session/{id}", ApiFixture.DevSecretKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Bodies.Json(response);
        Assert.Equal(id, json["session_id"]!.GetValue<string>());
        Assert.Equal("created", json["status"]!.GetValue<string>());
        Assert.Equal(10000, json["amount"]!.GetValue<long>());
        Assert.Equal("USD", json["currency"]!.GetValue<string>());
        Assert.Equal(body["order_id"]!.GetValue<string>(), json["order_id"]!.GetValue<string>());
        Assert.Equal(body["customer"]!.GetValue<string>(), json["customer"]!.GetValue<string>());
        Assert.Equal("Premium subscription", json["description"]!.GetValue<string>());
        Assert.Equal("premium", json["metadata"]!["plan"]!.GetValue<string>());
        Assert.Equal("Premium Plan", json["items"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("203.0.113.42", json["ip"]!.GetValue<string>());
        var created = DateTimeOffset.Parse(json["created_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var expires = DateTimeOffset.Parse(json["expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromHours(24), expires - created);
    }

    [Fact]
    public async Task The_owner_reads_the_event_log()
    {
        var body = Bodies.SeedExample();
        var id = await Create(body.ToJsonString());

        var response = await api.Get($"/session/{id}/events", ApiFixture.DevSecretKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Bodies.Json(response);
        Assert.Equal(id, json["session_id"]!.GetValue<string>());
        var created = Assert.Single(json["events"]!.AsArray())!;
        Assert.Equal(1, created["version"]!.GetValue<int>());
        Assert.Equal("Created", created["type"]!.GetValue<string>());
        Assert.NotNull(created["time"]);
        Assert.Equal(body["order_id"]!.GetValue<string>(), created["data"]!["order_id"]!.GetValue<string>());
        Assert.Equal(10000, created["data"]!["amount"]!.GetValue<long>());
    }

    [Fact]
    public async Task Another_business_a_public_key_an_unknown_id_and_a_malformed_id_all_get_the_same_404()
    {
        var id = await Create(Bodies.SeedExample().ToJsonString());
        var other = await api.NewBusiness();

        var answers = new[]
        {
            await api.Get($"/session/{id}", other.SecretKey),
            await api.Get($"/session/{id}", ApiFixture.DevPublicKey),
            await api.Get($"/session/{TestSessions.NewId()}", ApiFixture.DevSecretKey),
            await api.Get("/session/not-a-session-id", ApiFixture.DevSecretKey),
            await api.Get($"/session/{id.ToUpperInvariant()}", ApiFixture.DevSecretKey),
            await api.Get($"/session/{id}/events", other.SecretKey),
            await api.Get($"/session/{id}/events", ApiFixture.DevPublicKey),
        };

        foreach (var answer in answers)
        {
            Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
            Assert.Equal("""{"error":"Session not found"}""", await answer.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Reading_without_a_key_is_401()
    {
        var id = await Create(Bodies.SeedExample().ToJsonString());

        var response = await api.Get($"/session/{id}", null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task<string> Create(string body)
    {
        var response = await api.Post("/session", ApiFixture.DevSecretKey, body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }
}
