using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PaySessions.Tests.Infrastructure;

/// <summary>A merchant's webhook endpoint on loopback (real Kestrel) that records what it gets and can fail on purpose.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private int _failuresLeft;

    private WebhookReceiver(WebApplication app, int failures)
    {
        _app = app;
        Url = string.Empty;
        _failuresLeft = failures;
    }

    public string Url { get; private set; }

    public IReadOnlyCollection<Delivery> Deliveries => _deliveries;

    public static async Task<WebhookReceiver> StartAsync(int failFirst = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0"); // the OS picks the port as Kestrel binds: no race for it
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, failFirst);
        app.MapPost("/hooks", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var failing = Interlocked.Decrement(ref receiver._failuresLeft) >= 0;
            var headers = http.Request.Headers;
            receiver._deliveries.Enqueue(new Delivery(
                body, headers["PaySessions-Signature"].ToString(), failing ? 500 : 200,
                headers.TryGetValue("x-callback-token", out var token) ? token.ToString() : null,
                headers["webhook-id"].ToString(),
                headers.TryGetValue("Signature", out var bodySignature) ? bodySignature.ToString() : null,
                new HeaderDictionary(headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase)),
                DateTimeOffset.UtcNow));
            return failing ? Results.StatusCode(500) : Results.Ok();
        });
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/hooks";
        return receiver;
    }

    /// <summary>Answers the next <paramref name="count"/> requests with 500 (whatever was armed before is replaced).</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failuresLeft, count);

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


    /// <summary>
    /// One request as received: <paramref name="Signature"/> is <c>PaySessions-Signature</c>,
    /// <paramref name="BodySignature"/> Payviox's <c>Signature</c>; <paramref name="CallbackToken"/>
    /// and <paramref name="BodySignature"/> are null when the header was absent; <paramref name="Headers"/>: every
    /// header as received (what a Standard Webhooks library verifies); <paramref name="ReceivedAt"/>: the receiver's own clock.
    /// </summary>
    public sealed record Delivery(
        string Body, string Signature, int AnsweredWith, string? CallbackToken = null, string WebhookId = "", string? BodySignature = null,
        IHeaderDictionary? Headers = null, DateTimeOffset ReceivedAt = default);
}
