using System.Net;
using MediatR;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PaySessions.Api;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// The owner check holds on every route that names a session, including routes added later:
/// the routes are read from the running app, and a request type that carries a session id
/// without the owner check stops the start-up.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class SessionOwnershipTests(ApiFixture api)
{
    [Fact]
    public async Task Another_businesss_keys_get_404_on_every_session_route_and_change_nothing()
    {
        var routes = api.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.GetParameter("id") is not null)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: "/" + e.RoutePattern.RawText!.Trim('/'))))
            .ToList();
        Assert.True(routes.Count >= 6, "expected the session routes: " + string.Join(", ", routes));
        var other = await api.NewBusiness("Nosy Neighbour Ltd");

        foreach (var (method, pattern) in routes)
        {
            foreach (var key in new[] { other.SecretKey, other.PublicKey })
            {
                var id = await NewDevSession();
                var eventsBefore = await api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetEvents();

                var response = await api.Send(
                    new HttpMethod(method),
                    pattern.Replace("{id}", id, StringComparison.Ordinal),
                    key,
                    method == "GET" ? null : """{"paymentMethodId":"sandbox_card"}""");

                var what = $"{method} {pattern} with {(key.StartsWith("sk_", StringComparison.Ordinal) ? "secret" : "public")} key of another business";
                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{what}: {(int)response.StatusCode}");
                Assert.Equal("""{"error":"Session not found"}""", await response.Content.ReadAsStringAsync());
                var snapshot = await api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot();
                Assert.Equal(SessionStatus.Created, snapshot!.Status);
                Assert.Equal(eventsBefore.Count, (await api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetEvents()).Count);
            }
        }
    }

    [Fact]
    public void The_api_passes_the_owner_check_convention()
    {
        RequestConventions.Check(typeof(RequestConventions).Assembly);
    }

    [Fact]
    public void A_request_that_names_a_session_without_the_owner_check_stops_the_start_up()
    {
        var error = Assert.Throws<InvalidOperationException>(() => RequestConventions.Check(typeof(ForgetfulRefund).Assembly));

        Assert.Contains(nameof(ForgetfulRefund), error.Message, StringComparison.Ordinal);
        Assert.Contains("IOwnedSessionRequest", error.Message, StringComparison.Ordinal);
    }

    private async Task<string> NewDevSession()
    {
        var response = await api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }

    /// <summary>What a hurried new use case could look like: it names a session but forgot the owner check.</summary>
    public sealed record ForgetfulRefund(string SessionId) : IRequest<IResult>;

    public sealed class ForgetfulRefundHandler : IRequestHandler<ForgetfulRefund, IResult>
    {
        public Task<IResult> Handle(ForgetfulRefund request, CancellationToken cancellationToken) => Task.FromResult<IResult>(TypedResults.Ok());
    }
}
