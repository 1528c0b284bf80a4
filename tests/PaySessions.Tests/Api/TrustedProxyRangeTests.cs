using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// <c>PaySessions:Http:TrustedProxies</c> takes networks as well as addresses. The host trusts
/// 127.0.0.0/30; requests are sent from 127.0.0.1 (inside it) and from 127.0.0.9 (outside it,
/// a client socket bound to another loopback address), so one host shows both sides.
/// </summary>
public sealed class TrustedProxyRangeTests : IAsyncLifetime
{
    private readonly ApiFixture _api = new();

    public async Task InitializeAsync() => await _api.InitializeWith(new Dictionary<string, string?>
    {
        ["PaySessions:Http:TrustedProxies:0"] = "fd00::/8",
        ["PaySessions:Http:TrustedProxies:1"] = "127.0.0.0/30",
        ["PaySessions:RateLimits:PerIp:Limit"] = "2",
        ["PaySessions:RateLimits:PerIp:Window"] = "00:10:00",
    });

    public Task DisposeAsync() => _api.DisposeAsync();

    [Fact]
    public async Task A_proxy_inside_a_trusted_network_has_its_forwarded_client_address_recorded_and_rate_limited()
    {
        var client = $"203.0.113.{Random.Shared.Next(1, 250)}";
        var statuses = new List<HttpStatusCode>();
        string? first = null;
        for (var i = 0; i < 3; i++)
        {
            var response = await _api.Send(HttpMethod.Post, "/session", ApiFixture.DevPublicKey, Bodies.SeedExample().ToJsonString(),
                request => request.Headers.Add("X-Forwarded-For", client));
            statuses.Add(response.StatusCode);
            first ??= (await Bodies.Json(response))["session_id"]!.GetValue<string>();
        }

        var session = await _api.Host.Grains.GetGrain<IPaymentSessionGrain>(first!).GetSnapshot();
        Assert.Equal(client, session!.ClientIp);
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task A_sender_outside_every_trusted_network_is_its_own_client_address_whatever_it_forwards()
    {
        using var outside = From(IPAddress.Parse("127.0.0.9"));
        var statuses = new List<HttpStatusCode>();
        string? first = null;
        for (var i = 0; i < 3; i++)
        {
            // A different claimed address each time: believed, none would reach the limit of 2.
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_api.Host.BaseAddress, "/session"))
            {
                Content = new StringContent(Bodies.SeedExample().ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiFixture.DevPublicKey);
            request.Headers.Add("X-Forwarded-For", $"198.51.100.{i + 1}");
            var response = await outside.SendAsync(request);
            statuses.Add(response.StatusCode);
            first ??= (await Bodies.Json(response))["session_id"]!.GetValue<string>();
        }

        var session = await _api.Host.Grains.GetGrain<IPaymentSessionGrain>(first!).GetSnapshot();
        Assert.Equal("127.0.0.9", session!.ClientIp);
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.1.2.3/8")]
    [InlineData("10.0.0.300")]
    [InlineData("ingress-nginx")]
    public async Task A_trusted_proxy_that_is_neither_an_address_nor_a_network_refuses_the_start(string value)
    {
        var settings = new Dictionary<string, string?>
        {
            ["PaySessions:Http:TrustedProxies:0"] = "10.0.0.0/8",
            ["PaySessions:Http:TrustedProxies:1"] = value,
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHost.StartAsync(settings: settings));

        Assert.Contains($"PaySessions:Http:TrustedProxies:1 is '{value}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("TrustedProxies:0", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A client whose connections leave from <paramref name="local"/> (any 127.x address is loopback on Linux).</summary>
    private static HttpClient From(IPAddress local) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });
}
