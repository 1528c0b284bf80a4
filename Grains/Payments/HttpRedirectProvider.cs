using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace PaySessions.Grains.Payments;

/// <summary>
/// A redirect provider reached over HTTP: <c>POST {BaseUrl}/payments</c> with the amount, currency
/// and method, answered by <c>{"id", "redirect_url"}</c>. Calls go through a resilience pipeline
/// (retries of transient failures, a timeout per attempt and for the whole call, a circuit
/// breaker); every try carries the attempt's <c>Idempotency-Key</c> (derived from the attempt, so also
/// a later try of the same attempt), so a retry never makes a second payment. Its webhooks use this service's provider protocol (<see cref="ProviderWebhookMessage"/>).
/// </summary>
public sealed class HttpRedirectProvider(string name, ProviderOptions provider, IHttpClientFactory http) : IPaymentProvider
{
    public const string Type = "http";

    public string Name => name;

    public static string ClientName(string providerName) => "provider-" + providerName;

    /// <summary>Registers one resilient HTTP client per configured http provider.</summary>
    public static void AddHttpClients(IServiceCollection services, IConfiguration configuration)
    {
        foreach (var section in configuration.GetSection(PaymentProvidersOptions.Section).GetChildren())
        {
            var options = section.Get<ProviderOptions>() ?? new ProviderOptions();
            if (options.Type != Type)
            {
                continue;
            }

            var attempts = Math.Max(options.Retries, 0) + 1;
            services.AddHttpClient(ClientName(section.Key), client => client.Timeout = Timeout.InfiniteTimeSpan)
                .AddResilienceHandler(section.Key, pipeline =>
                {
                    pipeline.AddTimeout(options.Timeout);
                    if (options.Retries > 0)
                    {
                        pipeline.AddRetry(new HttpRetryStrategyOptions
                        {
                            MaxRetryAttempts = options.Retries,
                            BackoffType = DelayBackoffType.Exponential,
                            UseJitter = true,
                            Delay = TimeSpan.FromMilliseconds(200),
                        });
                    }

                    pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                    {
                        SamplingDuration = TimeSpan.FromSeconds(Math.Max(30, options.Timeout.TotalSeconds * 2)),
                        MinimumThroughput = 10,
                        FailureRatio = 0.5,
                        BreakDuration = TimeSpan.FromSeconds(15),
                    });
                    pipeline.AddTimeout(options.Timeout / attempts);
                });
        }
    }

    public async Task<ProviderInitiation> InitiateAsync(ProviderPaymentRequest request, CancellationToken cancellationToken)
    {
        // One key per attempt, not per call: a retry here, or a later try of the same attempt
        // after a timeout, gets the provider's first payment back instead of a second one.
        var idempotencyKey = request.AttemptKey;
        using var message = new HttpRequestMessage(HttpMethod.Post, $"{provider.BaseUrl.TrimEnd('/')}/payments")
        {
            Content = JsonContent.Create(
                new CreatePayment(request.Amount, request.Currency, request.PaymentMethodId, request.SessionId, request.Description),
                options: ProviderWebhookMessage.Json),
        };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", provider.ApiKey);
        message.Headers.Add("Idempotency-Key", idempotencyKey);

        try
        {
            using var response = await http.CreateClient(ClientName(name)).SendAsync(message, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return ProviderInitiation.Failed("Payment creation failed", "http_error");
            }

            var created = await response.Content.ReadFromJsonAsync<CreatedPayment>(ProviderWebhookMessage.Json, cancellationToken);
            return created is { Id.Length: > 0 and <= 200 } && Uri.TryCreate(created.RedirectUrl, UriKind.Absolute, out var redirect) && redirect.Scheme is "https" or "http"
                ? ProviderInitiation.Started(created.Id, created.RedirectUrl)
                : ProviderInitiation.Failed("The payment provider's answer was not understood", "invalid_response");
        }
        catch (Exception e) when (e is TimeoutRejectedException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return ProviderInitiation.Failed("The payment provider did not answer in time", "timeout");
        }
        catch (BrokenCircuitException)
        {
            return ProviderInitiation.Failed("The payment provider is unavailable", "provider_unavailable");
        }
        catch (HttpRequestException)
        {
            return ProviderInitiation.Failed("The payment provider could not be reached", "connection_error");
        }
        catch (JsonException)
        {
            return ProviderInitiation.Failed("The payment provider's answer was not understood", "invalid_response");
        }
    }

    public ProviderWebhook? ReadWebhook(string? signature, ReadOnlySpan<byte> body, DateTimeOffset now) =>
        ProviderWebhookMessage.Read(provider.WebhookSecret, signature, body, now);

    /// <summary>
    /// The HTTP provider's contract (README: <c>POST {BaseUrl}/payments</c> and its webhooks) has
    /// no refund call, so none is guessed at: the refund fails for good with
    /// <see cref="ProviderRefund.NotSupported"/> and the session is flagged for an operator.
    /// </summary>
    public Task<ProviderRefund> RefundAsync(ProviderRefundRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(ProviderRefund.Refused(ProviderRefund.NotSupported));

    private sealed record CreatePayment(long Amount, string Currency, string PaymentMethod, string SessionId, string? Description);

    private sealed record CreatedPayment(string Id, string? RedirectUrl);
}
