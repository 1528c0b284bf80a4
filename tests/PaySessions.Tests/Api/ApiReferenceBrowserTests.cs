using Microsoft.Playwright;
using PaySessions.Api.OpenApi;
using PaySessions.Tests.HostedPage;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// The interactive reference at <c>/docs</c> (Scalar) in a real headless Chromium, with every
/// request to another origin refused: it renders the operations of both dialects from this
/// process alone (its script bundled, no CDN, no fonts or telemetry from outside).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ApiReferenceBrowserTests(ApiFixture api, HostedPageBrowserTests.Chromium chromium)
    : IClassFixture<HostedPageBrowserTests.Chromium>
{
    [Fact]
    public async Task The_reference_at_docs_renders_the_operations_of_both_dialects_without_reaching_another_origin()
    {
        var origin = api.Host.BaseAddress.GetLeftPart(UriPartial.Authority);
        await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        // A ceiling for each wait on a machine shared by parallel builds, not a time being tested.
        context.SetDefaultTimeout(90_000);
        var elsewhere = new List<string>();
        await context.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith(origin, StringComparison.Ordinal))
            {
                await route.ContinueAsync();
                return;
            }

            lock (elsewhere)
            {
                elsewhere.Add(route.Request.Url);
            }

            await route.AbortAsync();
        });

        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        var answer = await page.GotoAsync(origin + ApiDescription.ReferencePath);
        Assert.True(answer!.Ok, $"/docs answered {answer.Status}");

        await Assertions.Expect(page.GetByText("PaySessions API").First).ToBeVisibleAsync();
        foreach (var tag in new[] { "Payviox sessions", "Payviox payments", "Xendit sessions", "Provider callbacks" })
        {
            await Assertions.Expect(page.GetByText(tag, new() { Exact = true }).First).ToBeVisibleAsync();
        }

        // Operations are listed by their paths once their tag is open.
        await page.GetByText("Xendit sessions", new() { Exact = true }).First.ClickAsync();
        await Assertions.Expect(page.GetByText("/sessions/{payment_session_id}/cancel").First).ToBeAttachedAsync();

        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "api-reference.png"), FullPage = false });
        lock (elsewhere)
        {
            Assert.True(elsewhere.Count == 0, "The reference asked another origin for: " + string.Join(", ", elsewhere));
        }

        Assert.Empty(errors);
    }

    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
}
