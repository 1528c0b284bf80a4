using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PaySessions.Tests.Infrastructure;

/// <summary>A payment provider's API on loopback (real Kestrel) that succeeds, errors, hangs or stutters on demand.</summary>
public sealed class FakeProvider : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ProviderCall> _calls = new();
    private TaskCompletionSource _held = NewGate();

    private FakeProvider(WebApplication app)
    {
        _app = app;
        Url = string.Empty;
    }

    public enum Behaviour
    {
        Succeed,
        Fail,
        Hang,
        FailOnceThenSucceed,
        Garbage,

        /// <summary>Waits, however long it takes, until the test calls <see cref="Release"/>; then succeeds.</summary>
        HangUntilReleased,
    }

    public string Url { get; private set; }

    public Behaviour Mode { get; set; }

    public IReadOnlyCollection<ProviderCall> Calls => _calls;

    public static async Task<FakeProvider> StartAsync()
    {

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0"); // the OS picks the port as Kestrel binds: no race for it
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeProvider(app);
        app.MapPost("/payments", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var key = http.Request.Headers["Idempotency-Key"].ToString();
            fake._calls.Enqueue(new ProviderCall(body, http.Request.Headers.Authorization.ToString(), key));
            var id = "acme_" + key[^12..];
            switch (fake.Mode)
            {
                case Behaviour.Fail:
                    return Results.StatusCode(500);
                case Behaviour.Hang:
                    await Task.Delay(TimeSpan.FromSeconds(30), http.RequestAborted);
                    return Results.StatusCode(500);
                case Behaviour.FailOnceThenSucceed when fake._calls.Count(c => c.IdempotencyKey == key) == 1:
                    return Results.StatusCode(503);
                case Behaviour.Garbage:
                    return Results.Text("<html>oops</html>", "text/html");
                case Behaviour.HangUntilReleased:
                    await fake._held.Task.WaitAsync(http.RequestAborted);
                    return Results.Json(new { id, redirect_url = $"https://checkout.acme.test/{id}" });
                default:
                    return Results.Json(new { id, redirect_url = $"https://checkout.acme.test/{id}" });
            }
        });
        await app.StartAsync();
        fake.Url = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return fake;
    }

    /// <summary>Lets every call held by <see cref="Behaviour.HangUntilReleased"/> answer; later calls are held again.</summary>
    public void Release() => Interlocked.Exchange(ref _held, NewGate()).TrySetResult();

    /// <summary>Waits until the provider has received at least <paramref name="count"/> calls in all.</summary>
    public async Task WaitForCalls(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_calls.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(_calls.Count >= count, $"the provider received {_calls.Count} calls, not {count}");
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static TaskCompletionSource NewGate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public sealed record ProviderCall(string Body, string Authorization, string IdempotencyKey);
}
