using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>
/// The service's own meters, read with an in-memory exporter while one host runs a session of
/// each ending: created and paid, canceled, expired (Xendit-style), a create over the customer
/// limit, and the webhooks those endings send. Meters are process-wide and other tests' hosts count
/// into the same instruments, so each assertion names the tags this test's traffic must have added.
/// </summary>
public sealed class ServiceMetersTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sessions_payment_attempts_webhook_deliveries_and_rate_limit_rejections_are_counted_with_their_tags()
    {
        var exported = new LockedList<MetricSnapshot>();
        await using var receiver = await WebhookReceiver.StartAsync();
        var settings = new Dictionary<string, string?>(TestMerchants.FastRetries())
        {
            ["PaySessions:RateLimits:PerCustomer:Limit"] = "2",
            ["PaySessions:RateLimits:PerCustomer:Window"] = "00:10:00",
        };
        await using var host = await TestHost.StartAsync(
            settings: settings,
            configure: builder => builder.Services.ConfigureOpenTelemetryMeterProvider(meters => meters.AddInMemoryExporter(exported)));
        await host.Grains.GetGrain<IBusinessGrain>(ApiFixture.DevBusiness).ReceiveWebhooks(receiver.Url, "succeeded", "session.canceled");

        var customer = "cust_" + Guid.NewGuid().ToString("N");
        var paid = await Create(host, customer);
        var redirect = await Pay(host, paid);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.PostAsync(new Uri(redirect + "/approve"), null)).StatusCode);
        var canceled = await Create(host, customer);
        Assert.Equal(HttpStatusCode.OK, (await Send(host, HttpMethod.Post, $"/session/{canceled}/cancel", "")).StatusCode);
        // The third create for one customer within the window is over its limit.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await Send(host, HttpMethod.Post, "/session", Bodies.SeedExample(customer: customer).ToJsonString())).StatusCode);
        await XenditTestSessions.CreateThroughGrain(host.Grains, ApiFixture.DevBusiness, SessionType.Pay, DateTimeOffset.UtcNow.AddSeconds(1));
        await receiver.WaitFor(d => d.Count >= 2, Within);

        var meters = host.Services.GetRequiredService<MeterProvider>();
        var counts = await Eventually.Read(
            () =>
            {
                meters.ForceFlush();
                return Task.FromResult(Sums(exported));
            },
            c => c.GetValueOrDefault("paysessions.sessions.expired dialect=xendit") > 0
                && c.GetValueOrDefault("paysessions.webhook.deliveries outcome=delivered") >= 2,
            Within);

        var summary = string.Join("\n", counts.Select(c => $"{c.Key}: {c.Value}"));
        Assert.True(counts.GetValueOrDefault("paysessions.sessions.created dialect=payviox") >= 2, summary);
        Assert.True(counts.GetValueOrDefault("paysessions.sessions.created dialect=xendit") >= 1, summary);
        Assert.True(counts.GetValueOrDefault("paysessions.sessions.completed dialect=payviox") >= 1, summary);
        Assert.True(counts.GetValueOrDefault("paysessions.sessions.canceled dialect=payviox") >= 1, summary);
        Assert.True(counts.GetValueOrDefault("paysessions.payment.attempts outcome=initiated,provider=sandbox") >= 1, summary);
        Assert.True(counts.GetValueOrDefault("paysessions.payment.attempts outcome=succeeded,provider=sandbox") >= 1, summary);
        Assert.True(counts.GetValueOrDefault("paysessions.rate_limit.rejections limit=customer") >= 1, summary);
        Assert.True(counts.GetValueOrDefault("paysessions.webhook.attempt.duration outcome=delivered") >= 2, summary);
        Assert.True(counts.GetValueOrDefault("paysessions.webhook.delivery.lag") >= 2, summary);
    }

    /// <summary>Each exported point as "name tag=value,…" (tags sorted), summed; a histogram counts its records.</summary>
    private static Dictionary<string, double> Sums(LockedList<MetricSnapshot> exported)
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var metric in exported.Snapshot().Where(m => m.Name.StartsWith("paysessions.", StringComparison.Ordinal)))
        {
            foreach (var point in metric.MetricPoints)
            {
                var tags = new List<string>();
                foreach (var tag in point.Tags)
                {
                    tags.Add($"{tag.Key}={tag.Value}");
                }

                tags.Sort(StringComparer.Ordinal);
                var key = tags.Count == 0 ? metric.Name : $"{metric.Name} {string.Join(',', tags)}";
                double value = metric.MetricType switch
                {
                    MetricType.LongSum => point.GetSumLong(),
                    MetricType.Histogram => point.GetHistogramCount(),
                    _ => 0,
                };
                // Cumulative points: the latest export holds the total so far.
                sums[key] = Math.Max(sums.GetValueOrDefault(key), value);
            }
        }

        return sums;
    }

    private static async Task<string> Create(TestHost host, string customer)
    {
        var response = await Send(host, HttpMethod.Post, "/session", Bodies.SeedExample(customer: customer).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }

    private static async Task<string> Pay(TestHost host, string id)
    {
        var response = await Send(host, HttpMethod.Post, $"/session/{id}/pay", """{"paymentMethodId":"sandbox_card"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Bodies.Json(response))["redirect_url"]!.GetValue<string>();
    }

    private static async Task<HttpResponseMessage> Send(TestHost host, HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiFixture.DevSecretKey);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await host.Http.SendAsync(request);
    }
}
