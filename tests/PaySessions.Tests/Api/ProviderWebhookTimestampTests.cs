using System.Net;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>Provider webhooks whose signature claims a time ahead of ours, end to end.</summary>
[Collection(ApiCollection.Name)]
public sealed class ProviderWebhookTimestampTests(ApiFixture api)
{
    [Theory]
    [InlineData(6 * 60)]
    [InlineData(2 * 60)]
    [InlineData(24 * 60 * 60)]
    public async Task A_provider_webhook_signed_minutes_in_the_future_is_401_and_changes_nothing(int secondsAhead)
    {
        var (id, reference) = await InitiatedSession();
        var body = Sandbox.Body(reference, succeeded: true, paymentId: "pay_future");

        var response = await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body, DateTimeOffset.UtcNow.AddSeconds(secondsAhead)));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(["Created", "PaymentInitiated"], await EventTypes(id));
    }

    [Fact]
    public async Task A_provider_clock_a_few_seconds_ahead_is_tolerated()
    {
        var (id, reference) = await InitiatedSession();
        var body = Sandbox.Body(reference, succeeded: true, paymentId: "pay_skewed");

        var response = await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body, DateTimeOffset.UtcNow.AddSeconds(20)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["Created", "PaymentInitiated", "Completed"], await EventTypes(id));
    }

    private async Task<(string Id, string Reference)> InitiatedSession()
    {
        var created = await api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await Bodies.Json(created))["session_id"]!.GetValue<string>();
        var pay = await api.Post($"/session/{id}/pay", ApiFixture.DevSecretKey, """{"paymentMethodId":"sandbox_card"}""");
        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
        return (id, Sandbox.ReferenceFrom((await Bodies.Json(pay))["redirect_url"]!.GetValue<string>()));
    }

    private async Task<List<string>> EventTypes(string id)
    {
        var log = await Bodies.Json(await api.Get($"/session/{id}/events", ApiFixture.DevSecretKey));
        return [.. log["events"]!.AsArray().Select(e => e!["type"]!.GetValue<string>())];
    }
}
