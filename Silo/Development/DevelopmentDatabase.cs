using Microsoft.Extensions.Logging;
using Npgsql;
using PaySessions.Silo.Hosting;

namespace PaySessions.Silo.Development;

/// <summary>
/// Development only: with no connection string configured, <c>dotnet run --project Silo</c> runs
/// a PostgreSQL of its own with its data under <c>.data/postgres</c> in the repository (or
/// <c>PaySessions:LocalDatabase:DataDirectory</c>). <see cref="DatabaseBootstrap"/> reaches this
/// only when the environment is Development; every other environment must be given a database.
/// </summary>
public static class DevelopmentDatabase
{
    public const string DataDirectoryKey = "PaySessions:LocalDatabase:DataDirectory";

    /// <exception cref="DatabaseUnavailableException">With one sentence saying what to set or install.</exception>
    public static async Task<LocalPostgres> StartAsync(IConfiguration configuration, ILogger logger, CancellationToken cancellationToken = default)
    {
        var directory = configuration[DataDirectoryKey] ?? Path.Combine(RepositoryRoot(), ".data", "postgres");
        try
        {
            return await LocalPostgres.StartAsync(directory, logger, cancellationToken);
        }
        catch (Exception e) when (e is LocalPostgresException or NpgsqlException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            throw new DatabaseUnavailableException(
                $"PaySessions needs PostgreSQL: set ConnectionStrings:PaySessions (for example ConnectionStrings__PaySessions=\"Host=localhost;Username=postgres;Database=paysessions\") "
                + $"or install the PostgreSQL server binaries (initdb, pg_ctl) so it can start its own; starting one failed: {e.Message}");
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
