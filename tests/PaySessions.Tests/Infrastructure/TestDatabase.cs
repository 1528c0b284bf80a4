using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PaySessions.Silo.Database;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL for the whole test run: <c>PAYSESSIONS_TEST_DB</c> when set, otherwise a
/// throwaway cluster started from the machine's binaries in a temporary folder, migrated once
/// and stopped when the test process exits. It never skips: no database is a failure.
/// </summary>
public static class TestDatabase
{
    private static readonly Lazy<Task<string>> Started = new(StartAsync);
    private static LocalPostgres? _local;

    public static Task<string> GetConnectionStringAsync() => Started.Value;

    public static async Task<NpgsqlDataSource> OpenDataSourceAsync() =>
        NpgsqlDataSource.Create(await GetConnectionStringAsync());

    private static async Task<string> StartAsync()
    {
        var connectionString = Environment.GetEnvironmentVariable("PAYSESSIONS_TEST_DB");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var directory = Path.Combine(Path.GetTempPath(), $"paysessions-tests-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
            _local = await LocalPostgres.StartAsync(directory, NullLogger.Instance);
            connectionString = _local.ConnectionString;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(directory);
        }

        await DatabaseMigrator.MigrateAsync(connectionString, NullLogger.Instance);
        return connectionString;
    }

    private static void Stop(string directory)
    {
        if (_local is null)
        {
            return;
        }

        _local.DisposeAsync().AsTask().GetAwaiter().GetResult();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless; the next run uses a new one.
        }
    }
}
