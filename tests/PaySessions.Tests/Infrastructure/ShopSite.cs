using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// A merchant's web page on loopback (real Kestrel): one HTML page that loads the service's
/// <c>/sdk/payviox.js</c>. It is browsed as <c>http://localhost:{port}</c> while the service is
/// <c>http://127.0.0.1:{port}</c>: another origin and another site, as a real shop would be.
/// </summary>
public sealed class ShopSite : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ShopSite(WebApplication app, int port)
    {
        _app = app;
        Origin = $"http://localhost:{port}";
    }

    /// <summary>The shop page's origin, as a business lists it among its frame origins.</summary>
    public string Origin { get; }

    public string PageUrl => Origin + "/";

    /// <param name="serviceBase">Where the page loads the SDK from (the service's own origin).</param>
    public static async Task<ShopSite> StartAsync(Uri serviceBase)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sdk = new Uri(serviceBase, "/sdk/payviox.js");
        app.MapGet("/", () => Results.Content(Page(sdk), "text/html; charset=utf-8"));
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new ShopSite(app, address.Port);
    }

    // The shop's own script records every message it gets; the test drives it with start(key).
    private static string Page(Uri sdk) => $$"""
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>Corner Shop checkout</title>
        <script src="{{sdk}}"></script></head>
        <body>
        <main><h1>Checkout</h1><div id="payment"></div></main>
        <script>
          window.messages = [];
          window.addEventListener('message', function (event) {
            window.messages.push({ origin: event.origin, data: event.data });
          });
          window.start = async function (publicKey) {
            var payviox = new Payviox(publicKey);
            var id = await payviox.createSession({
              amount: 10000, currency: 'USD', customer: 'customer_browser', description: 'Premium subscription',
              order_id: 'order_' + Date.now() + '_' + Math.random().toString(16).slice(2),
              items: [{ name: 'Premium Plan', quantity: 1, price: 10000 }]
            });
            var frame = payviox.openIframe(id, { iframeTarget: document.getElementById('payment'), width: '100%', height: '640px', withoutBorder: true });
            frame.addEventListener('load', function () { window.frameLoads = (window.frameLoads || 0) + 1; });
            return id;
          };
          window.failure = async function (publicKey) {
            try {
              await new Payviox(publicKey).createSession({ amount: 10000 });
              return 'resolved';
            } catch (e) {
              return JSON.stringify({ message: e.message, status: e.status, body: e.body });
            }
          };
        </script>
        </body>
        </html>
        """;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
