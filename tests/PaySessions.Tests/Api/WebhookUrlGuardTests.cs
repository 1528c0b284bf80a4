using System.Net;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Tests.Api;

public sealed class WebhookUrlGuardTests
{
    [Theory]
    [InlineData("http://shop.example.com/hooks", "must use https")]
    [InlineData("https://127.0.0.1/hooks", "loopback or private")]
    [InlineData("https://localhost/hooks", "loopback or private")]
    [InlineData("https://10.1.2.3/hooks", "loopback or private")]
    [InlineData("https://172.16.0.9/hooks", "loopback or private")]
    [InlineData("https://192.168.1.1/hooks", "loopback or private")]
    [InlineData("https://169.254.169.254/latest/meta-data", "loopback or private")]
    [InlineData("https://[::1]/hooks", "loopback or private")]
    [InlineData("https://[fd00::1]/hooks", "loopback or private")]
    [InlineData("https://user:pass@shop.example.com/hooks", "credentials")]
    [InlineData("ftp://shop.example.com/hooks", "absolute http(s)")]
    [InlineData("/hooks", "absolute http(s)")]
    public void Outside_development_only_https_to_public_addresses_is_accepted(string url, string reason)
    {
        Assert.Contains(reason, WebhookUrlGuard.Check(url, allowPrivateNetworks: false), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://shop.example.com/hooks")]
    [InlineData("https://203.0.113.10:8443/hooks")]
    public void A_public_https_url_is_accepted(string url) =>
        Assert.Null(WebhookUrlGuard.Check(url, allowPrivateNetworks: false));

    [Fact]
    public void Development_may_use_http_on_loopback() =>
        Assert.Null(WebhookUrlGuard.Check("http://127.0.0.1:5999/hooks", allowPrivateNetworks: true));

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("::ffff:192.168.0.1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("2001:4860:4860::8888", true)]
    public void Address_classes_are_told_apart(string address, bool isPublic) =>
        Assert.Equal(isPublic, WebhookUrlGuard.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task A_connection_to_a_name_that_resolves_to_loopback_is_refused()
    {
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = WebhookUrlGuard.ConnectCallback(allowPrivateNetworks: false) });

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("http://localhost:9/")));

        Assert.Contains("no public address", error.Message, StringComparison.Ordinal);
    }
}
