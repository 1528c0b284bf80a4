using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.HostedPage;

/// <summary>
/// The hosted page in a real headless Chromium (the machine's Debian <c>chromium</c>, never a
/// downloaded browser) against the real host on loopback, with an axe-core audit of every state
/// the customer meets. Screenshots go to <c>screenshots/</c> in the test output folder.
/// </summary>
[Collection(HostedPageCollection.Name)]
public sealed class HostedPageBrowserTests(HostedPageFixture fixture, HostedPageBrowserTests.Chromium chromium)
    : IClassFixture<HostedPageBrowserTests.Chromium>
{
    /// <summary>One browser for the class; each test opens its own context (cookies, viewport).</summary>
    public sealed class Chromium : IAsyncLifetime
    {
        // PAYSESSIONS_CHROMIUM may point elsewhere; by default the Debian package's binary, which
        // .ci/run installs when it is missing.
        public static string ExecutablePath => Environment.GetEnvironmentVariable("PAYSESSIONS_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

        private IPlaywright? _playwright;

        public IBrowser Browser { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            if (!File.Exists(ExecutablePath))
            {
                throw new InvalidOperationException($"No Chromium at {ExecutablePath}: install Debian's chromium (apt-get install -y chromium), as .ci/run does.");
            }

            // Expect(...) has its own ceiling (5 s by default), apart from the context's: a
            // ceiling for a machine shared by parallel builds, never a time being tested (CI saw
            // the reference page take longer than 5 s to render its document).
            Assertions.SetDefaultExpectTimeout(60_000);
            _playwright = await Playwright.CreateAsync();
            Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ExecutablePath, Headless = true });
        }

        public async Task DisposeAsync()
        {
            if (Browser is not null)
            {
                await Browser.DisposeAsync();
            }

            _playwright?.Dispose();
        }
    }

    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    [Fact]
    public async Task A_customer_pays_with_the_sandbox_and_lands_on_the_payment_received_page()
    {
        var id = await fixture.NewSession();
        await using var context = await NewContext(javaScript: true);
        var page = await context.NewPageAsync();

        await page.GotoAsync(Url($"/pay/{id}"));
        await Assertions.Expect(page.Locator("#total")).ToContainTextAsync("$100.00");
        await Audit(page, "open");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay with Sandbox card" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/sandbox/checkout/", StringComparison.Ordinal));
        await page.Locator("#approve").ClickAsync();
        await page.WaitForURLAsync(Url($"/pay/{id}?after=payment"));
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Payment received");
        await Audit(page, "completed");

        Assert.Equal(SessionStatus.Completed, (await fixture.Snapshot(id))!.Status);
        var deliveries = await fixture.Merchant.WaitFor(
            d => d.Any(x => x.Body.Contains(id, StringComparison.Ordinal) && x.Body.Contains("\"type\":\"succeeded\"", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30));
        Assert.Contains(
            deliveries, x => x.Body.Contains(id, StringComparison.Ordinal) && x.Body.Contains("\"type\":\"succeeded\"", StringComparison.Ordinal) && x.AnsweredWith == 200);
    }

    [Fact]
    public async Task A_customer_saves_a_payment_method_for_a_xendit_save_session_and_is_sent_back_to_the_shop()
    {
        var keys = await fixture.Api.NewBusiness("Insurance Shop");
        var business = fixture.Api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId);
        Assert.True((await business.EnableMethods(["sandbox_card"])).Accepted);
        Assert.True((await business.ConfigureWebhook(fixture.Merchant.Url)).Accepted);
        Assert.True((await business.RotateCallbackToken()).Accepted);
        var id = await XenditTestSessions.Create(fixture.Api, keys.SecretKey, SessionType.Save);
        await using var context = await NewContext(javaScript: true);
        var page = await context.NewPageAsync();
        // The seed's success_return_url is the shop's, off this machine: the browser's request for
        // it is answered here, so the test sees where the customer was sent.
        await page.RouteAsync("https://yourcompany.com/**", route => route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/html", Body = "<!doctype html><title>Shop</title><h1>Back at the shop</h1>" }));

        await page.GotoAsync(Url($"/pay/{id}"));
        await Assertions.Expect(page.Locator("#total")).ToHaveTextAsync("Save a payment method");
        await Audit(page, "save-open");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save Sandbox card" }).ClickAsync();
        await WaitForUrl(page, url => url.Contains("/sandbox/checkout/", StringComparison.Ordinal));
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Save this payment method (nothing is charged)");
        await Audit(page, "sandbox-checkout");
        await page.Locator("#approve").ClickAsync();
        await page.WaitForURLAsync("https://yourcompany.com/success/example_item=my_item");

        var saved = (await fixture.Snapshot(id))!;
        Assert.Equal(SessionStatus.Completed, saved.Status);
        var token = saved.Payment!.PaymentTokenId!;
        Assert.StartsWith("ptkn-", token, StringComparison.Ordinal);
        await page.GotoAsync(Url($"/pay/{id}"));
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Payment method saved");
        await Audit(page, "saved");
        var deliveries = await fixture.Merchant.WaitFor(
            d => d.Any(x => x.Body.Contains(id, StringComparison.Ordinal) && x.Body.Contains("payment_session.completed", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30));
        Assert.Contains(deliveries, x => x.Body.Contains(token, StringComparison.Ordinal) && x.AnsweredWith == 200);
    }

    [Fact]
    public async Task With_javascript_off_the_whole_payment_still_works()
    {
        var id = await fixture.NewSession();
        await using var context = await NewContext(javaScript: false);
        var page = await context.NewPageAsync();

        await page.GotoAsync(Url($"/pay/{id}"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay with Sandbox wallet" }).ClickAsync();
        await page.Locator("#approve").ClickAsync();
        await page.WaitForURLAsync(Url($"/pay/{id}?after=payment"));

        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Payment received");
        Assert.Equal(SessionStatus.Completed, (await fixture.Snapshot(id))!.Status);
    }

    [Fact]
    public async Task A_payer_on_another_address_sees_a_403_page_that_says_what_happened()
    {
        var id = await fixture.NewSession(body => body["ip"] = "203.0.113.9");
        await using var context = await NewContext(javaScript: true);
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url($"/pay/{id}"));

        var answer = page.WaitForResponseAsync(r => r.Request.Method == "POST" && r.Url.EndsWith($"/pay/{id}", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay with Sandbox card" }).ClickAsync();

        Assert.Equal(403, (await answer).Status);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("This payment cannot be made from your connection");
        await Audit(page, "ip-mismatch");
        Assert.Equal(SessionStatus.Created, (await fixture.Snapshot(id))!.Status);
    }

    [Fact]
    public async Task Every_other_state_of_the_page_passes_the_accessibility_audit()
    {
        await using var context = await NewContext(javaScript: true);
        var page = await context.NewPageAsync();

        var failing = await fixture.NewSession();
        await page.GotoAsync(Url($"/pay/{failing}"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay with Broken card" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("could not be started with Broken card");
        await Audit(page, "provider-error");

        var waiting = await fixture.NewSession();
        await page.GotoAsync(Url($"/pay/{waiting}"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay with Sandbox card" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/sandbox/checkout/", StringComparison.Ordinal));
        await page.GotoAsync(Url($"/pay/{waiting}"));
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Waiting for confirmation");
        // The waiting page reloads itself (without script) to show the provider's outcome the
        // moment it arrives: a real-time event, the exception WCAG 2.2.1 makes. axe's
        // meta-refresh rule cannot tell, so it alone is left out here, and only here.
        await Audit(page, "waiting", except: "meta-refresh");

        var expired = await ExpiredSession();
        await page.GotoAsync(Url($"/pay/{expired}"));
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("This payment has expired");
        await Audit(page, "expired");

        var canceled = await fixture.NewSession();
        await fixture.Api.Host.Grains.GetGrain<IPaymentSessionGrain>(canceled).Cancel("test");
        await page.GotoAsync(Url($"/pay/{canceled}"));
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("This payment was canceled");
        await Audit(page, "canceled");

        await page.GotoAsync(Url("/pay/00000000000000000000000000000000"));
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Payment not found");
        await Audit(page, "not-found");

        await context.SetExtraHTTPHeadersAsync(new Dictionary<string, string> { ["Accept-Language"] = "id" });
        await page.GotoAsync(Url($"/pay/{await fixture.NewSession()}"));
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "id");
        await Audit(page, "open-id");
    }

    private async Task<string> ExpiredSession()
    {
        var id = TestSessions.NewId();
        var command = TestSessions.Command(ApiFixture.DevBusiness, expiresIn: TimeSpan.FromSeconds(1)) with { ClientIp = null };
        Assert.True((await fixture.Api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).Create(command)).IsCreated);
        await Eventually.Read(() => Task.FromResult(DateTimeOffset.UtcNow), now => now > command.ExpiresAt, TimeSpan.FromSeconds(10));
        return id;
    }

    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    /// <summary>Waits for the address; when it never comes, says where the browser is and what it shows.</summary>
    private static async Task WaitForUrl(IPage page, Func<string, bool> url)
    {
        try
        {
            await page.WaitForURLAsync(url);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"Still at {page.Url}, showing: {await page.InnerTextAsync("body")}", e);
        }
    }

    private async Task<IBrowserContext> NewContext(bool javaScript)
    {
        var context = await chromium.Browser.NewContextAsync(
            new BrowserNewContextOptions { JavaScriptEnabled = javaScript, ViewportSize = new ViewportSize { Width = 390, Height = 844 } });
        // A ceiling for each wait on a machine shared by parallel builds, not a time being tested.
        context.SetDefaultTimeout(90_000);
        return context;
    }

    /// <summary>axe-core (WCAG 2.0 and 2.1, A and AA) finds nothing; screenshots at phone and desktop size.</summary>
    private static async Task Audit(IPage page, string name, string? except = null)
    {
        var options = new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        };
        if (except is not null)
        {
            options.Rules = new Dictionary<string, RuleOptions> { [except] = new RuleOptions { Enabled = false } };
        }

        var result = await page.RunAxe(options);
        Assert.True(result.Violations.Length == 0, name + ": " + string.Join("; ", result.Violations.Select(v => $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => n.Html))})")));

        Directory.CreateDirectory(Screenshots);
        await page.SetViewportSizeAsync(390, 844);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"{name}-390x844.png"), FullPage = true });
        await page.SetViewportSizeAsync(1280, 800);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"{name}-1280x800.png"), FullPage = true });
        await page.SetViewportSizeAsync(390, 844);
    }
}
