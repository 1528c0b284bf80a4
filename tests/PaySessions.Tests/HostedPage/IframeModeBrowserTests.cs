using System.Text.Json;
using Microsoft.Playwright;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.HostedPage;

/// <summary>
/// Iframe mode in a real headless Chromium: a shop page on another site (<see cref="ShopSite"/>)
/// loads <c>/sdk/payviox.js</c>, creates a session with its public key, opens the hosted page in
/// an iframe, and the customer pays through the sandbox inside the frame.
/// </summary>
[Collection(HostedPageCollection.Name)]
public sealed class IframeModeBrowserTests(HostedPageFixture fixture, HostedPageBrowserTests.Chromium chromium)
    : IClassFixture<HostedPageBrowserTests.Chromium>
{
    [Fact]
    public async Task A_shop_page_pays_in_an_iframe_through_the_sdk_and_hears_where_to_send_the_customer()
    {
        await using var site = await ShopSite.StartAsync(fixture.BaseAddress);
        var keys = await Business(returnUrl: "https://shop.example/thanks?order=7", origins: [site.Origin]);
        await using var context = await NewContext();
        var page = await context.NewPageAsync();
        await page.GotoAsync(site.PageUrl);

        var id = await page.EvaluateAsync<string>("key => window.start(key)", keys.PublicKey);
        var frame = page.FrameLocator("#payment iframe");
        await frame.GetByRole(AriaRole.Button, new() { Name = "Pay with Sandbox card" }).ClickAsync();
        await frame.Locator("#approve").ClickAsync();
        await page.WaitForFunctionAsync("() => window.messages.some(m => m.data && m.data.type === 'payviox:redirect')");

        var redirect = await Messages(page, "payviox:redirect");
        Assert.Equal(SessionStatus.Completed, (await fixture.Snapshot(id))!.Status);
        var message = Assert.Single(redirect);
        Assert.Equal(fixture.BaseAddress.GetLeftPart(UriPartial.Authority), message.GetProperty("origin").GetString());
        Assert.Equal($"https://shop.example/thanks?order=7&session_id={id}", message.GetProperty("data").GetProperty("redirect").GetString());
        // The shop page stayed where it was: only the frame moved.
        Assert.Equal(site.PageUrl, page.Url);
        await Assertions.Expect(frame.Locator("h1")).ToHaveTextAsync("Payment received");

        await frame.Locator("#frame-close").ClickAsync();
        await page.WaitForFunctionAsync("() => window.messages.some(m => m.data && m.data.type === 'payviox:close')");
        Assert.Single(await Messages(page, "payviox:close"));
    }

    [Fact]
    public async Task A_shop_page_on_an_origin_the_business_did_not_allow_cannot_show_the_page_in_a_frame()
    {
        await using var allowed = await ShopSite.StartAsync(fixture.BaseAddress);
        await using var other = await ShopSite.StartAsync(fixture.BaseAddress);
        var keys = await Business(returnUrl: null, origins: [allowed.Origin]);
        await using var context = await NewContext();
        var page = await context.NewPageAsync();
        var refusals = new List<string>();
        page.Console += (_, message) => refusals.Add(message.Text);
        await page.GotoAsync(other.PageUrl);

        var id = await page.EvaluateAsync<string>("key => window.start(key)", keys.PublicKey);
        await page.WaitForFunctionAsync("() => window.frameLoads >= 1");

        // The session was made (the SDK works from any origin), but the browser refused to show
        // the page inside the frame: nothing of it rendered there.
        Assert.Equal(SessionStatus.Created, (await fixture.Snapshot(id))!.Status);
        var child = Assert.Single(page.Frames, f => f != page.MainFrame);
        Assert.DoesNotContain(fixture.BaseAddress.GetLeftPart(UriPartial.Authority), child.Url, StringComparison.Ordinal);
        Assert.Equal(0, await page.FrameLocator("#payment iframe").Locator("#main").CountAsync());
        Assert.Contains(refusals, text => text.Contains("frame-ancestors", StringComparison.Ordinal) && text.Contains(allowed.Origin, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_sdk_rejects_with_the_servers_error_body()
    {
        await using var site = await ShopSite.StartAsync(fixture.BaseAddress);
        await using var context = await NewContext();
        var page = await context.NewPageAsync();
        await page.GotoAsync(site.PageUrl);

        var failure = JsonDocument.Parse(await page.EvaluateAsync<string>("key => window.failure(key)", "pk_test_nobody00000000000000000000")).RootElement;

        Assert.Equal("Unauthorized", failure.GetProperty("message").GetString());
        Assert.Equal(401, failure.GetProperty("status").GetInt32());
        Assert.Equal("Unauthorized", failure.GetProperty("body").GetProperty("error").GetString());
    }

    private static async Task<List<JsonElement>> Messages(IPage page, string type)
    {
        var all = JsonDocument.Parse(await page.EvaluateAsync<string>("() => JSON.stringify(window.messages)")).RootElement;
        return [.. all.EnumerateArray().Where(m => m.GetProperty("data").ValueKind == JsonValueKind.Object
            && m.GetProperty("data").TryGetProperty("type", out var t) && t.GetString() == type)];
    }

    private async Task<IssuedKeys> Business(string? returnUrl, IReadOnlyList<string> origins)
    {
        var business = fixture.Api.Host.Grains.GetGrain<IBusinessGrain>(TestSessions.NewBusiness());
        await business.Register("Corner Shop");
        var keys = await business.IssueKeys(ApiKeyMode.Test);
        await business.EnablePaymentMethods(["sandbox_card"]);
        if (returnUrl is not null)
        {
            Assert.True((await business.SetReturnUrl(returnUrl)).Accepted);
        }

        var framing = await business.SetFrameOrigins(origins);
        Assert.True(framing.Accepted, framing.Error);
        return keys;
    }

    private async Task<IBrowserContext> NewContext()
    {
        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        // A ceiling for each wait on a machine shared by parallel builds, not a time being tested.
        context.SetDefaultTimeout(90_000);
        return context;
    }
}
