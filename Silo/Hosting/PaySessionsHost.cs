using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PaySessions.Api;
using PaySessions.Grains.Sessions;
using PaySessions.Silo.Database;
using Orleans.Dashboard;
using PaySessions.Silo.Merchants;
using PaySessions.Silo.Operators;

namespace PaySessions.Silo.Hosting;

/// <summary>
/// Composes one process: the Orleans silo with its PostgreSQL providers, and the HTTP front door
/// co-hosted in it. Program and the tests build hosts through here, so they run the same wiring.
/// </summary>
public static class PaySessionsHost
{
    public static WebApplication Build(WebApplicationBuilder builder, string connectionString)
    {
        var clusterSettings = builder.Configuration.GetSection(ClusterSettings.Section).Get<ClusterSettings>() ?? new ClusterSettings();
        builder.Services.AddOptions<ClusterSettings>().BindConfiguration(ClusterSettings.Section).ValidateDataAnnotations().ValidateOnStart();

        // Registered before Orleans so the schema exists before the silo reads its membership table.
        builder.Services.AddHostedService(provider => new SchemaMigration(connectionString, provider.GetRequiredService<ILogger<SchemaMigration>>()));

        builder.UseOrleans(silo =>
        {
            silo.UsePaySessionsClustering(connectionString, clusterSettings, builder.Environment.IsDevelopment())
                .AddPaySessionsGrains(connectionString)
                .AddDashboard();

            // Grain calls carry the caller's trace only where spans are recorded (see Telemetry).
            if (Telemetry.RecordsTraces(builder.Configuration))
            {
                silo.AddActivityPropagation();
            }
        });
        builder.AddPaySessionsTelemetry();

        // After Orleans, so the silo is active when these run.
        builder.Services.AddHostedService<ExpirySweepStarter>();
        builder.Services.AddHostedService<PaySessions.Grains.Webhooks.WebhookDispatcher>();
        builder.Services.AddHostedService<PaySessions.Grains.Idempotency.IdempotencyKeyPurge>();
        builder.Services.AddHostedService<PaySessions.Grains.Payments.LateRefundWorker>();
        builder.Services.AddOptions<DevMerchantOptions>().BindConfiguration(DevMerchantOptions.Section);
        if (builder.Environment.IsDevelopment())
        {
            builder.Services.AddHostedService<DevMerchantSeeder>();
        }

        builder.Services.AddPaySessionsApi(builder.Configuration);
        builder.Services.AddSharedKeyRing();
        builder.Services.AddOperatorAccess();
        builder.Services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgres", tags: [HealthEndpoints.ReadyTag])
            .AddCheck<SiloHealthCheck>("silo", tags: [HealthEndpoints.ReadyTag]);

        var app = builder.Build();
        app.MapHealthChecks(HealthEndpoints.Live, new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks(HealthEndpoints.Ready, new HealthCheckOptions { Predicate = check => check.Tags.Contains(HealthEndpoints.ReadyTag) });
        app.UsePaySessionsApi();
        // Operators only (HTTP Basic, PaySessions:Operators): the page, its API and its log stream.
        app.MapOrleansDashboard("/dashboard").RequireAuthorization(OperatorAuthenticationHandler.Policy).ExcludeFromDescription();
        return app;
    }

    /// <summary>Makes sure the expiry sweep's reminder exists with the configured period (see <see cref="IExpirySweeperGrain.EnsureScheduled"/>).</summary>
    private sealed class ExpirySweepStarter(IGrainFactory grains) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => grains.GetGrain<IExpirySweeperGrain>(0).EnsureScheduled();

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class SchemaMigration(string connectionString, ILogger<SchemaMigration> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            DatabaseMigrator.MigrateAsync(connectionString, logger, cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
