using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.HostedPage;

/// <summary>
/// One host for the hosted-page tests: the Development business with the sandbox methods, plus a
/// method whose provider always fails (for the provider-error page), and a merchant webhook
/// receiver on loopback.
/// </summary>
public sealed partial class HostedPageFixture : IAsyncLifetime
{
    public const string BrokenMethod = "broken_card";

    public const int WaitingRefreshSeconds = 120;

    public ApiFixture Api { get; } = new();

    public FakeProvider Broken { get; private set; } = null!;

    public WebhookReceiver Merchant { get; private set; } = null!;

    public Uri BaseAddress => Api.Host.BaseAddress;

    public async Task InitializeAsync()
    {
        Broken = await FakeProvider.StartAsync();
        Broken.Mode = FakeProvider.Behaviour.Fail;
        Merchant = await WebhookReceiver.StartAsync();
        await Api.InitializeWith(new Dictionary<string, string?>
        {
            ["PaySessions:Providers:brokenpay:Type"] = "http",
            ["PaySessions:Providers:brokenpay:BaseUrl"] = Broken.Url,
            ["PaySessions:Providers:brokenpay:ApiKey"] = "sk_brokenpay_test",
            ["PaySessions:Providers:brokenpay:WebhookSecret"] = "whsec_brokenpay_test_0000",
            ["PaySessions:Providers:brokenpay:Timeout"] = "00:00:05",
            ["PaySessions:Providers:brokenpay:Retries"] = "0",
            ["PaySessions:PaymentMethods:41:Id"] = BrokenMethod,
            ["PaySessions:PaymentMethods:41:Provider"] = "brokenpay",
            ["PaySessions:PaymentMethods:41:Kind"] = "Redirect",
            ["PaySessions:PaymentMethods:41:DisplayName"] = "Broken card",
            // The waiting page reloads itself; slowly here, so the browser tests can audit and
            // photograph it between two reloads.
            ["PaySessions:HostedPage:WaitingRefreshSeconds"] = WaitingRefreshSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Every hosted-page test creates its sessions from 127.0.0.1, most with the seed's customer.
            ["PaySessions:RateLimits:PerIp:Limit"] = "1000000",
            ["PaySessions:RateLimits:PerCustomer:Limit"] = "1000000",
        });
        var dev = Api.Host.Grains.GetGrain<IBusinessGrain>(ApiFixture.DevBusiness);
        Assert.True((await dev.EnableMethods([BrokenMethod])).Accepted);
        await dev.ImportWebhook(Merchant.Url, "whsec_hostedpage_test_0000");
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Broken.DisposeAsync();
        await Merchant.DisposeAsync();
    }

    /// <summary>A Payviox-style session of the Development business; the seed's example unless changed.</summary>
    public async Task<string> NewSession(Action<JsonObject>? change = null)
    {
        var body = Bodies.SeedExample();
        change?.Invoke(body);
        var response = await Api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return Bodies.ParseSessionId(await response.Content.ReadAsStringAsync());
    }

    public Task<PaymentSessionSnapshot?> Snapshot(string id) => Api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot();

    /// <summary>A browser-like client: keeps cookies, does not follow redirects.</summary>
    public HttpClient Browser() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() }) { BaseAddress = BaseAddress };

    /// <summary>The antiforgery token of the first form of a page.</summary>
    public static string TokenOf(string html) => TokenField().Match(html) is { Success: true } match
        ? WebUtility.HtmlDecode(match.Groups[1].Value)
        : throw new InvalidOperationException("The page has no antiforgery field: " + html);

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}

[CollectionDefinition(Name)]
public sealed class HostedPageCollection : ICollectionFixture<HostedPageFixture>
{
    public const string Name = "Hosted page host";
}
