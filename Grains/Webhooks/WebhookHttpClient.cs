using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace PaySessions.Grains.Webhooks;

/// <summary>
/// The HTTP client merchant webhooks are sent with. An attempt is recorded for a request that
/// reached the merchant's endpoint (or for an endpoint that truly cannot be reached), never for a
/// connection our side could not use:
/// <list type="bullet">
/// <item>A connection that failed before an answer began (refused or reset while connecting, as
/// a single-threaded receiver does when its accept queue is full; or a kept-alive connection the
/// receiver had closed, which ends before any byte of the answer) is tried again at once on a new
/// connection, up to <see cref="ConnectionRetries"/> times within the same attempt and its timeout.
/// A receiver that dedupes by <c>webhook-id</c> is safe if such a request had reached it after all.</item>
/// <item>Idle connections are dropped after <see cref="IdleConnectionTimeout"/>, before the keep-alive
/// timeouts of common servers (Node.js closes after 5 s), so the pool rarely holds one the receiver
/// has closed; a server that answers <c>Connection: close</c> or with HTTP/1.0 is never reused.</item>
/// <item>No redirects (a merchant's URL could lead anywhere), no cookies, and every connection
/// re-checks where the name resolves (<see cref="WebhookUrlGuard"/>).</item>
/// </list>
/// </summary>
public static class WebhookHttpClient
{
    public const int ConnectionRetries = 3;

    public static readonly TimeSpan IdleConnectionTimeout = TimeSpan.FromSeconds(4);

    public static IHttpClientBuilder AddWebhookHttpClient(this IServiceCollection services)
    {
        var client = services.AddHttpClient(WebhookDispatcher.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                PooledConnectionIdleTimeout = IdleConnectionTimeout,
                ConnectCallback = WebhookUrlGuard.ConnectCallback(provider.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateNetworks),
            });
        client.AddResilienceHandler("merchant-webhook-connections", pipeline => pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = ConnectionRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            ShouldHandle = arguments => ValueTask.FromResult(NoAnswerBegan(arguments.Outcome.Exception)),
        }));
        return client;
    }

    /// <summary>
    /// True for a connection that failed before any byte of an answer: refused or reset while
    /// connecting, broken while the request was written, or ended where the answer should have
    /// started. Everything else (an answer of any status, a malformed answer, a timeout, an
    /// address <see cref="WebhookUrlGuard"/> refused) is the attempt's outcome.
    /// </summary>
    public static bool NoAnswerBegan(Exception? exception) => exception is HttpRequestException e && e.HttpRequestError switch
    {
        HttpRequestError.ConnectionError => e.InnerException is not HttpRequestException,
        HttpRequestError.ResponseEnded => true,
        HttpRequestError.Unknown => e.InnerException is IOException,
        _ => false,
    };
}
