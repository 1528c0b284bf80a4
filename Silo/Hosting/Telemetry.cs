using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace PaySessions.Silo.Hosting;

/// <summary>
/// OpenTelemetry for the whole process: one trace from the HTTP request through the MediatR handler
/// (<c>PaySessions.Api</c>), the grain calls (Orleans activity propagation) and Npgsql; the
/// service's own meters (<c>PaySessions.*</c>) beside Orleans', ASP.NET Core's, Npgsql's and the
/// runtime's. Exported over OTLP when the standard <c>OTEL_EXPORTER_OTLP_*</c> variables name a
/// collector, and nowhere otherwise: the meters still run (for in-process readers such as
/// <c>dotnet-counters</c>), but no span is recorded unless <see cref="RecordTracesKey"/> asks for
/// them (an in-process exporter of one's own): spans that go nowhere cost a tenth of a read's CPU
/// (see bench/create/README.md).
/// </summary>
public static class Telemetry
{
    public const string ServiceName = "paysessions";

    /// <summary>Every source and meter the service writes to, by name.</summary>
    public static readonly string[] ActivitySources = ["PaySessions.*", "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];

    public static readonly string[] Meters = ["PaySessions.*", "Microsoft.Orleans"];

    /// <summary>Records spans even with no OTLP collector named (for an exporter added in process, as the tests do).</summary>
    public const string RecordTracesKey = "PaySessions:Telemetry:RecordTraces";

    /// <summary>Whether spans are recorded: a collector is named, or <see cref="RecordTracesKey"/> is true.</summary>
    public static bool RecordsTraces(IConfiguration configuration) =>
        ExportsOverOtlp(configuration) || configuration.GetValue<bool>(RecordTracesKey);

    public static WebApplicationBuilder AddPaySessionsTelemetry(this WebApplicationBuilder builder)
    {
        // Every log line written inside a request carries its trace and span ids (as a scope).
        builder.Logging.Configure(logging => logging.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName));
        if (RecordsTraces(builder.Configuration))
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(ActivitySources)
                .AddAspNetCoreInstrumentation(options => options.Filter = http => !http.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal))
                .AddHttpClientInstrumentation()
                .AddNpgsql());
        }

        telemetry.WithMetrics(metrics => metrics
                .AddMeter(Meters)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation());

        if (ExportsOverOtlp(builder.Configuration))
        {
            builder.Logging.AddOpenTelemetry(logging => logging.IncludeScopes = true);
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>Whether the standard variables name a collector (any signal's endpoint).</summary>
    public static bool ExportsOverOtlp(IConfiguration configuration) =>
        OtlpEndpointVariables.Any(name => !string.IsNullOrWhiteSpace(configuration[name]));

    private static readonly string[] OtlpEndpointVariables =
        ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"];
}
