using System.Net;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// The owned-session lookup takes both id shapes: a session under a <c>ps-</c> id is found by its
/// owner like any other, and ids of neither shape are "not found" without a lookup.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class XenditSessionIdTests(ApiFixture api)
{
    [Fact]
    public async Task A_session_under_a_ps_id_is_read_by_its_owner_and_not_by_another_business()
    {
        var sessionId = SessionIds.NewXendit();
        var created = await api.Host.Grains.GetGrain<IPaymentSessionGrain>(sessionId).Create(TestSessions.Command(ApiFixture.DevBusiness));
        Assert.True(created.IsCreated, created.Message);
        var stranger = await api.NewBusiness();

        var read = await api.Get($"/session/{sessionId}", ApiFixture.DevSecretKey);
        var events = await api.Get($"/session/{sessionId}/events", ApiFixture.DevSecretKey);
        var theirs = await api.Get($"/session/{sessionId}", stranger.SecretKey);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(sessionId, (await Bodies.Json(read))["session_id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
    }

    [Theory]
    [InlineData("ps-000000000000000000000000")]
    [InlineData("ps-ABCDEF000000000000000000")]
    [InlineData("ps-00000000000000000000000")]
    [InlineData("PS-000000000000000000000000")]
    [InlineData("ps_000000000000000000000000")]
    public async Task Unknown_or_malformed_ps_ids_are_not_found(string id)
    {
        var response = await api.Get($"/session/{id}", ApiFixture.DevSecretKey);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("""{"error":"Session not found"}""", await response.Content.ReadAsStringAsync());
    }
}
