using Microsoft.Extensions.Logging;
using Npgsql;
using PaySessions.Silo.Development;

namespace PaySessions.Silo.Hosting;

/// <summary>
/// Decides which PostgreSQL the service uses: the configured <c>ConnectionStrings:PaySessions</c>.
/// Without one, Development starts a local server of its own (<see cref="DevelopmentDatabase"/>);
/// every other environment refuses to start rather than guess.
/// </summary>
public sealed class DatabaseBootstrap : IAsyncDisposable
{
    public const string ConnectionStringName = "PaySessions";

    private readonly IAsyncDisposable? _local;

    private DatabaseBootstrap(string connectionString, IAsyncDisposable? local)
    {
        ConnectionString = connectionString;
        _local = local;
    }

    public string ConnectionString { get; }

    /// <summary>What a process outside Development says, and exits with, when it has no database configured.</summary>
    public static string MissingConnectionString(string environmentName) =>
        $"PaySessions will not start in the {environmentName} environment without a database: set ConnectionStrings:PaySessions "
        + "(environment variable ConnectionStrings__PaySessions=\"Host=…;Username=…;Password=…;Database=paysessions\"); "
        + "only Development starts a local PostgreSQL of its own.";

    /// <exception cref="DatabaseUnavailableException">With one sentence saying what to set.</exception>
    public static async Task<DatabaseBootstrap> OpenAsync(
        IConfiguration configuration, IHostEnvironment environment, ILogger logger, CancellationToken cancellationToken = default)
    {
        var configured = configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            await CheckReachableAsync(configured, environment, cancellationToken);
            return new DatabaseBootstrap(configured, null);
        }

        if (!environment.IsDevelopment())
        {
            throw new DatabaseUnavailableException(MissingConnectionString(environment.EnvironmentName));
        }

        var local = await DevelopmentDatabase.StartAsync(configuration, logger, cancellationToken);
        return new DatabaseBootstrap(local.ConnectionString, local);
    }

    public ValueTask DisposeAsync() => _local?.DisposeAsync() ?? ValueTask.CompletedTask;

    private static async Task CheckReachableAsync(string connectionString, IHostEnvironment environment, CancellationToken cancellationToken)
    {
        NpgsqlConnectionStringBuilder parsed;
        try
        {
            parsed = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new DatabaseUnavailableException($"ConnectionStrings:PaySessions is not a valid PostgreSQL connection string: {e.Message}");
        }

        try
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 10 }.ConnectionString);
            await connection.OpenAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw new DatabaseUnavailableException(
                $"Cannot reach PostgreSQL at {parsed.Host}:{parsed.Port} (database {parsed.Database}) from ConnectionStrings:PaySessions: {e.Message}; "
                + (environment.IsDevelopment()
                    ? "fix that connection string, or remove it to let PaySessions start its own local PostgreSQL."
                    : "fix that connection string."));
        }
    }
}

public sealed class DatabaseUnavailableException(string message) : Exception(message);
