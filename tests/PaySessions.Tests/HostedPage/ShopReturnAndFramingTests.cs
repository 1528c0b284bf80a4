using System.Net;
using System.Text.RegularExpressions;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.HostedPage;

/// <summary>
/// A business's return URL and frame origins on the hosted page, over plain HTTP: where the
/// customer goes after paying, which origins may frame the page, and the iframe-mode script.
/// </summary>
[Collection(HostedPageCollection.Name)]
public sealed partial class ShopReturnAndFramingTests(HostedPageFixture fixture)
{
    [Theory]
    [InlineData("https://shop.example/thanks", "https://shop.example/thanks?session_id={id}")]
    [InlineData("https://shop.example/thanks?order=7&lang=en", "https://shop.example/thanks?order=7&lang=en&session_id={id}")]
    [InlineData("https://shop.example/#/done", "https://shop.example/?session_id={id}#/done")]
    public async Task Right_after_payment_a_payviox_customer_goes_to_the_return_url_with_session_id_and_later_visits_link_to_it(string returnUrl, string expected)
    {
        var shop = await Shop(returnUrl: returnUrl);
        var id = await shop.NewSession();
        using var browser = fixture.Browser();
        var landing = await PaidWithTheSandboxCard(browser, id);

        var back = await browser.GetAsync(new Uri(landing, UriKind.Relative));
        var later = await browser.GetAsync(new Uri($"/pay/{id}", UriKind.Relative));

        var target = expected.Replace("{id}", id, StringComparison.Ordinal);
        Assert.Equal($"/pay/{id}?after=payment", landing);
        Assert.Equal(HttpStatusCode.SeeOther, back.StatusCode);
        Assert.Equal(target, back.Headers.Location!.AbsoluteUri);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        var html = await later.Content.ReadAsStringAsync();
        Assert.Contains("Payment received", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"{WebUtility.HtmlEncode(target)}\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_that_is_not_completed_is_not_sent_to_the_return_url()
    {
        var shop = await Shop(returnUrl: "https://shop.example/thanks");
        var id = await shop.NewSession();
        using var browser = fixture.Browser();

        var page = await browser.GetAsync(new Uri($"/pay/{id}?after=payment", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.DoesNotContain("shop.example/thanks", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_business_that_allowed_no_origin_keeps_the_page_unframeable_and_script_free()
    {
        var shop = await Shop();
        var id = await shop.NewSession();
        using var browser = fixture.Browser();

        var response = await browser.GetAsync(new Uri($"/pay/{id}", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.EndsWith("frame-ancestors 'none'", Csp(response), StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", Csp(response), StringComparison.Ordinal);
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("frame-close", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_business_that_allowed_origins_may_be_framed_by_exactly_those_and_the_page_loads_its_own_script_only()
    {
        var shop = await Shop(origins: ["https://shop.example", "https://www.shop.example:8443"]);
        var id = await shop.NewSession();
        using var browser = fixture.Browser();

        var response = await browser.GetAsync(new Uri($"/pay/{id}", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        var csp = Csp(response);
        Assert.Equal(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors https://shop.example https://www.shop.example:8443",
            csp);
        Assert.False(response.Headers.Contains("X-Frame-Options"));
        var script = ScriptTag().Match(html);
        Assert.True(script.Success, html);
        Assert.Equal("https://shop.example https://www.shop.example:8443", script.Groups["origins"].Value);
        Assert.Single(ScriptTag().Matches(html));
        Assert.Contains("<button type=\"button\" id=\"frame-close\" class=\"frame-close\" hidden>Close</button>", html, StringComparison.Ordinal);

        var served = await browser.GetAsync(new Uri(script.Groups["src"].Value, UriKind.Relative));
        var bytes = await served.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("text/javascript", served.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromDays(365), served.Headers.CacheControl?.MaxAge);
        Assert.Equal(WebUtility.HtmlDecode(script.Groups["integrity"].Value), "sha256-" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(bytes)));
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync(new Uri("/pay/scripts/frame.0000000000000000.js", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task In_a_frame_the_completed_page_asks_the_shop_page_to_go_to_the_return_url_instead_of_redirecting_the_frame()
    {
        var shop = await Shop(returnUrl: "https://shop.example/thanks?order=7", origins: ["https://shop.example"]);
        var id = await shop.NewSession();
        using var browser = fixture.Browser();
        var landing = await PaidWithTheSandboxCard(browser, id);

        using var framed = new HttpRequestMessage(HttpMethod.Get, new Uri(landing, UriKind.Relative));
        framed.Headers.Add("Sec-Fetch-Dest", "iframe");
        var inFrame = await browser.SendAsync(framed);
        var top = await browser.GetAsync(new Uri(landing, UriKind.Relative));

        var html = await inFrame.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, inFrame.StatusCode);
        Assert.Contains("Payment received", html, StringComparison.Ordinal);
        Assert.Equal(
            WebUtility.HtmlEncode($"https://shop.example/thanks?order=7&session_id={id}"),
            ScriptTag().Match(html).Groups["redirect"].Value);
        Assert.Equal(HttpStatusCode.SeeOther, top.StatusCode);
        Assert.Equal($"https://shop.example/thanks?order=7&session_id={id}", top.Headers.Location!.AbsoluteUri);
    }

    [Fact]
    public async Task In_a_frame_the_form_cookie_is_samesite_none_secure_and_partitioned_and_strict_at_the_top_level()
    {
        var shop = await Shop(origins: ["https://shop.example"]);
        var id = await shop.NewSession();
        using var top = fixture.Browser();
        using var frame = fixture.Browser();

        var atTop = await top.GetAsync(new Uri($"/pay/{id}", UriKind.Relative));
        using var framed = new HttpRequestMessage(HttpMethod.Get, new Uri($"/pay/{id}", UriKind.Relative));
        framed.Headers.Add("Sec-Fetch-Dest", "iframe");
        var inFrame = await frame.SendAsync(framed);

        var topCookie = Assert.Single(atTop.Headers.GetValues("Set-Cookie")).ToLowerInvariant();
        var frameCookie = Assert.Single(inFrame.Headers.GetValues("Set-Cookie")).ToLowerInvariant();
        Assert.Contains("samesite=strict", topCookie, StringComparison.Ordinal);
        Assert.DoesNotContain("partitioned", topCookie, StringComparison.Ordinal);
        Assert.Contains("samesite=none", frameCookie, StringComparison.Ordinal);
        Assert.Contains("secure", frameCookie, StringComparison.Ordinal);
        Assert.Contains("partitioned", frameCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", frameCookie, StringComparison.Ordinal);
    }

    private static string Csp(HttpResponseMessage response) => string.Join(";", response.Headers.GetValues("Content-Security-Policy"));

    private async Task<TestShop> Shop(string? returnUrl = null, IReadOnlyList<string>? origins = null)
    {
        var business = fixture.Api.Host.Grains.GetGrain<IBusinessGrain>(TestSessions.NewBusiness());
        await business.Register("Framed Shop");
        var keys = await business.IssueKeys(ApiKeyMode.Test);
        await business.EnablePaymentMethods(["sandbox_card"]);
        if (returnUrl is not null)
        {
            Assert.True((await business.SetReturnUrl(returnUrl)).Accepted);
        }

        if (origins is not null)
        {
            Assert.True((await business.SetFrameOrigins(origins)).Accepted);
        }

        return new TestShop(fixture, keys);
    }

    private sealed record TestShop(HostedPageFixture Fixture, IssuedKeys Keys)
    {
        public async Task<string> NewSession()
        {
            var created = await Fixture.Api.Post("/session", Keys.SecretKey, Bodies.SeedExample().ToJsonString());
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            return Bodies.ParseSessionId(await created.Content.ReadAsStringAsync());
        }
    }

    private async Task<string> PaidWithTheSandboxCard(HttpClient browser, string id)
    {
        var token = HostedPageFixture.TokenOf(await browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative)));
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["method"] = "sandbox_card", ["__RequestVerificationToken"] = token });
        var checkout = (await browser.PostAsync(new Uri($"/pay/{id}", UriKind.Relative), form)).Headers.Location!;
        var approved = await browser.PostAsync(new Uri(checkout + "/approve"), null);
        await Eventually.Read(() => fixture.Snapshot(id), s => s?.Status == SessionStatus.Completed, TimeSpan.FromSeconds(30));
        return approved.Headers.Location!.ToString();
    }

    [GeneratedRegex("<script src=\"(?<src>/pay/scripts/frame\\.[0-9a-f]{16}\\.js)\" integrity=\"(?<integrity>[^\"]+)\" data-frame-origins=\"(?<origins>[^\"]*)\"(?: data-redirect=\"(?<redirect>[^\"]*)\")? defer></script>")]
    private static partial Regex ScriptTag();
}
