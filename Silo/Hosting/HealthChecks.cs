using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Orleans.Runtime;

namespace PaySessions.Silo.Hosting;

/// <summary>Where load balancers and orchestrators ask (deploy/ probes and health checks name these paths).</summary>
public static class HealthEndpoints
{
    /// <summary>The process is up and serving HTTP: no dependency is asked.</summary>
    public const string Live = "/health/live";

    /// <summary>The silo is active in its cluster and PostgreSQL answers (checks tagged <see cref="ReadyTag"/>).</summary>
    public const string Ready = "/health/ready";

    public const string ReadyTag = "ready";
}

/// <summary>Ready: PostgreSQL answers a query.</summary>
public sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is not reachable.", e);
        }
    }
}

/// <summary>Ready: this silo has joined its cluster and is active.</summary>
public sealed class SiloHealthCheck(ISiloStatusOracle oracle) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(oracle.CurrentStatus == SiloStatus.Active
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"Silo is {oracle.CurrentStatus}."));
}
