using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>OpenTelemetry as the host wires it, read with in-memory exporters.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task One_trace_runs_from_the_http_request_through_the_handler_and_the_grain_calls_to_npgsql_and_the_meters_report()
    {
        var spans = new LockedList<Activity>();
        var metrics = new LockedList<Metric>();
        await using var host = await TestHost.StartAsync(settings: new Dictionary<string, string?> { [PaySessions.Silo.Hosting.Telemetry.RecordTracesKey] = "true" }, configure: builder =>
        {
            builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans));
            builder.Services.ConfigureOpenTelemetryMeterProvider(meters => meters.AddInMemoryExporter(metrics));
        });

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/session", UriKind.Relative))
        {
            Content = new StringContent(Bodies.SeedExample().ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiFixture.DevSecretKey);
        // Listeners are process-wide and other tests run hosts beside this one: the request carries
        // a user agent of this test's own, which the server's span records, and only its trace is read.
        var userAgent = "telemetry-test/" + Guid.NewGuid().ToString("N");
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        // The server's span ends after the client has its answer: read until it is exported.
        var tracer = host.Services.GetRequiredService<TracerProvider>();
        var trace = await Eventually.Read(
            () =>
            {
                tracer.ForceFlush();
                var all = spans.Snapshot();
                var ours = all.FirstOrDefault(s => s.Source.Name == "Microsoft.AspNetCore" && (s.GetTagItem("user_agent.original") as string) == userAgent);
                return Task.FromResult(ours is null ? [] : all.Where(s => s.TraceId == ours.TraceId).ToList());
            },
            t => t.Count > 0,
            TimeSpan.FromSeconds(30));
        host.Services.GetRequiredService<MeterProvider>().ForceFlush();

        var server = Assert.Single(trace, s => s.Source.Name == "Microsoft.AspNetCore");
        var summary = string.Join("\n", trace.Select(s => $"{s.Source.Name}: {s.DisplayName}"));
        var handler = Assert.Single(trace, s => s.Source.Name == "PaySessions.Api");
        Assert.Equal(server.SpanId, handler.ParentSpanId);
        Assert.True(trace.Any(s => s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && s.DisplayName.Contains("PaymentSessionGrain", StringComparison.Ordinal)), summary);
        // The append waits in the caller's trace; the group commit that carried it (alone here) is
        // its child, and the commit's SQL is the commit's child.
        var append = Assert.Single(trace, s => s.DisplayName == "event_store.append");
        var commit = Assert.Single(trace, s => s.DisplayName == "event_store.commit");
        Assert.Equal(append.SpanId, commit.ParentSpanId);
        Assert.True(trace.Any(s => s.Source.Name == "Npgsql" && s.ParentSpanId == commit.SpanId), summary);

        var names = metrics.Snapshot().Select(m => m.MeterName + " " + m.Name).ToHashSet();
        Assert.Contains(names, n => n.StartsWith("Microsoft.AspNetCore.Hosting http.server.request.duration", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("Microsoft.Orleans ", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("PaySessions.EventStore ", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("System.Runtime ", StringComparison.Ordinal) || n.Contains("process.runtime.dotnet", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_no_collector_named_no_span_is_recorded_and_the_meters_still_run()
    {
        await using var host = await TestHost.StartAsync();

        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/session/none", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiFixture.DevSecretKey);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.SendAsync(request)).StatusCode);
    }
}
