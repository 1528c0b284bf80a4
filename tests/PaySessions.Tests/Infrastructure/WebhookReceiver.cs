using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PaySessions.Tests.Infrastructure;

/// <summary>A merchant's webhook endpoint on loopback (real Kestrel) that records what it gets and can fail on purpose.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private int _failuresLeft;

    private WebhookReceiver(WebApplication app, string url, int failures)
    {
        _app = app;
        Url = url;
        _failuresLeft = failures;
    }

    public string Url { get; }

    public IReadOnlyCollection<Delivery> Deliveries => _deliveries;

    public static async Task<WebhookReceiver> StartAsync(int failFirst = 0)
    {
        var port = Loopback.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, $"http://127.0.0.1:{port}/hooks", failFirst);
        app.MapPost("/hooks", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var failing = Interlocked.Decrement(ref receiver._failuresLeft) >= 0;
            receiver._deliveries.Enqueue(new Delivery(body, http.Request.Headers["PaySessions-Signature"].ToString(), failing ? 500 : 200));
            return failing ? Results.StatusCode(500) : Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    public async Task<IReadOnlyList<Delivery>> WaitFor(Func<IReadOnlyCollection<Delivery>, bool> done, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!done(_deliveries) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return [.. _deliveries];
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }


    public sealed record Delivery(string Body, string Signature, int AnsweredWith);
}
