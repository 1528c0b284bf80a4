using Microsoft.Extensions.Logging;
using Npgsql;
using PaySessions.Silo.Database;

namespace PaySessions.Silo.Hosting;

/// <summary>
/// Decides which PostgreSQL the service uses: the configured <c>ConnectionStrings:PaySessions</c>,
/// or else a local server it starts itself with its data under <c>.data/postgres</c>.
/// </summary>
public sealed class DatabaseBootstrap : IAsyncDisposable
{
    public const string ConnectionStringName = "PaySessions";
    public const string DataDirectoryKey = "PaySessions:LocalDatabase:DataDirectory";

    private readonly LocalPostgres? _local;

    private DatabaseBootstrap(string connectionString, LocalPostgres? local)
    {
        ConnectionString = connectionString;
        _local = local;
    }

    public string ConnectionString { get; }

    /// <exception cref="DatabaseUnavailableException">With one sentence saying what to set.</exception>
    public static async Task<DatabaseBootstrap> OpenAsync(IConfiguration configuration, ILogger logger, CancellationToken cancellationToken = default)
    {
        var configured = configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            await CheckReachableAsync(configured, cancellationToken);
            return new DatabaseBootstrap(configured, null);
        }

        var directory = configuration[DataDirectoryKey] ?? Path.Combine(RepositoryRoot(), ".data", "postgres");
        try
        {
            var local = await LocalPostgres.StartAsync(directory, logger, cancellationToken);
            return new DatabaseBootstrap(local.ConnectionString, local);
        }
        catch (Exception e) when (e is LocalPostgresException or NpgsqlException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            throw new DatabaseUnavailableException(
                $"PaySessions needs PostgreSQL: set ConnectionStrings:PaySessions (for example ConnectionStrings__PaySessions=\"Host=localhost;Username=postgres;Database=paysessions\") "
                + $"or install the PostgreSQL server binaries (initdb, pg_ctl) so it can start its own; starting one failed: {e.Message}");
        }
    }

    public ValueTask DisposeAsync() => _local?.DisposeAsync() ?? ValueTask.CompletedTask;

    private static async Task CheckReachableAsync(string connectionString, CancellationToken cancellationToken)
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
                + "fix that connection string, or remove it to let PaySessions start its own local PostgreSQL.");
        }
    }

    /// <summary>The folder holding PaySessions.sln above the working directory, else the working directory.</summary>
    private static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "PaySessions.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return Directory.GetCurrentDirectory();
    }
}

public sealed class DatabaseUnavailableException(string message) : Exception(message);
