using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using PaySessions.Grains.EventStore;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// <c>POST /session</c> through the whole host as the README runs it: the new session's stream is
/// appended to once and never read, and a repeated order id is still the documented 400. The
/// host's event store is the real one behind a tally (<see cref="CountingEventStore"/>).
/// </summary>
public sealed class LeanCreateOverHttpTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync(configure: builder =>
    {
        builder.Services.AddSingleton<PostgresEventStore>(services => ActivatorUtilities.CreateInstance<PostgresEventStore>(services));
        builder.Services.AddSingleton<IEventStore>(services => new CountingEventStore(services.GetRequiredService<PostgresEventStore>()));
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_create_appends_once_reads_nothing_and_a_repeated_order_id_is_still_a_400()
    {
        var body = Bodies.SeedExample().ToJsonString();

        var created = await Send(HttpMethod.Post, "/session", body);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = Bodies.ParseSessionId(await created.Content.ReadAsStringAsync());
        Assert.Equal(0, CountingEventStore.Reads(id));
        Assert.Equal(1, CountingEventStore.Appends(id));

        var again = await Send(HttpMethod.Post, "/session", body);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("""{"order_id":["The order id has already been taken."]}""", await again.Content.ReadAsStringAsync());

        var read = await Send(HttpMethod.Get, "/session/" + id, null);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(0, CountingEventStore.Reads(id));
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiFixture.DevSecretKey);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        return await _host.Http.SendAsync(request);
    }
}
