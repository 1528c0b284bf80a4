using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PaySessions.Silo.Database;
using PaySessions.Silo.Development;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the whole test run: <c>PAYSESSIONS_TEST_DB</c> when set (a role that
/// may create databases), otherwise a throwaway cluster started from the machine's binaries in a
/// temporary folder and stopped by a watchdog when the test process ends, however it ends. It never skips: no database is a
/// failure. The schema is migrated once into a template; each cluster of a test gets its own
/// database cloned from it, because one database is one deployment (its expiry sweep and webhook
/// dispatcher serve every session in it).
/// </summary>
public static class TestDatabase
{
    private const string Template = "paysessions_template";
    private const string DirectoryPrefix = "paysessions-tests-";
    private static readonly Lazy<Task<string>> Server = new(StartAsync);
    private static readonly SemaphoreSlim Creating = new(1, 1);

    /// <summary>A fresh, migrated database named <paramref name="name"/> (created on first use).</summary>
    public static async Task<string> CreateAsync(string name)
    {
        var server = await Server.Value;
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
        await Creating.WaitAsync();
        try
        {
            await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString);
            await admin.OpenAsync();
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", admin);
            exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
            if (await exists.ExecuteScalarAsync() is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE {Template}", admin);
                await create.ExecuteNonQueryAsync();
            }
        }
        finally
        {
            Creating.Release();
        }

        return connectionString;
    }

    public static async Task<NpgsqlDataSource> OpenAsync(string name) => NpgsqlDataSource.Create(await CreateAsync(name));

    /// <summary>
    /// A PostgreSQL server of the caller's own, for a test that stops it: the run's server is shared
    /// by tests running in parallel. Its one database is empty; a host migrates it when it starts.
    /// </summary>
    public static async Task<OwnServer> StartOwnServerAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"{DirectoryPrefix}{Environment.ProcessId}-own-{Guid.NewGuid():N}");
        StopWhenThisProcessEnds(directory);
        return new OwnServer(await LocalPostgres.StartAsync(directory, NullLogger.Instance), directory);
    }

    private static async Task<string> StartAsync()
    {
        var server = Environment.GetEnvironmentVariable("PAYSESSIONS_TEST_DB");
        if (string.IsNullOrWhiteSpace(server))
        {
            await CleanUpAbandonedAsync();
            var directory = Path.Combine(Path.GetTempPath(), $"{DirectoryPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
            StopWhenThisProcessEnds(directory);
            server = (await LocalPostgres.StartAsync(directory, NullLogger.Instance)).ConnectionString;
        }

        // The template is built afresh each run, then nobody connects to it again (cloning needs that).
        var templateConnection = new NpgsqlConnectionStringBuilder(server) { Database = Template, Pooling = false }.ConnectionString;
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Template} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Template}", admin);
            await create.ExecuteNonQueryAsync();
        }

        await DatabaseMigrator.MigrateAsync(templateConnection, NullLogger.Instance);
        NpgsqlConnection.ClearAllPools();
        return server;
    }

    // Runs of a test process that was killed (or whose exit handler ran out of time) leave a
    // cluster behind: stop and delete those of processes that no longer exist.
    private static async Task CleanUpAbandonedAsync()
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            var name = Path.GetFileName(directory)[DirectoryPrefix.Length..];
            if (!int.TryParse(name.Split('-')[0], out var pid) || IsAlive(pid))
            {
                continue;
            }

            await LocalPostgres.StopAbandonedAsync(directory);
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left for the next run.
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // pg_ctl starts the server as a daemon: it outlives the test process unless someone stops it.
    // An exit handler cannot be that someone: `dotnet test` kills the test host 100 ms after the
    // run (VSTEST_TESTHOST_SHUTDOWN_TIMEOUT), before `pg_ctl stop` is through, and a host that
    // crashes or is killed runs no handler at all. So a watchdog outside the process (its own
    // session, no child of the host's) waits for this process to end, then shuts the server in
    // the directory down at once (SIGQUIT to the postmaster: immediate shutdown)
    // and deletes the folder. Started before the server, so no server is ever unguarded.
    private static void StopWhenThisProcessEnds(string directory)
    {
        const string Watchdog = """
            exec </dev/null >/dev/null 2>&1
            while kill -0 "$1"; do sleep 0.5; done
            pid=$(head -n 1 "$2/postmaster.pid")
            if [ -n "$pid" ] && grep -q postgres "/proc/$pid/cmdline"; then
              kill -QUIT "$pid"
              while kill -0 "$pid"; do sleep 0.1; done
            fi
            rm -rf "$2"
            """;
        var start = new System.Diagnostics.ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (var argument in new[] { "--fork", "sh", "-c", Watchdog, "paysessions-tests-watchdog", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), directory })
        {
            start.ArgumentList.Add(argument);
        }

        using var setsid = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("could not start the PostgreSQL watchdog (setsid)");
        setsid.WaitForExit();
        if (setsid.ExitCode != 0)
        {
            throw new InvalidOperationException($"the PostgreSQL watchdog (setsid) failed with exit code {setsid.ExitCode}");
        }
    }
}

/// <summary>
/// A throwaway PostgreSQL server started for one test, reached through a forwarder so that its
/// address stays the same when it is stopped and started again; disposing stops it and deletes its data.
/// </summary>
public sealed class OwnServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly TcpForwarder _forwarder;
    private LocalPostgres _server;

    internal OwnServer(LocalPostgres server, string directory)
    {
        _server = server;
        _directory = directory;
        _forwarder = new TcpForwarder(new NpgsqlConnectionStringBuilder(server.ConnectionString).Port);
        ConnectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Host = "127.0.0.1", Port = _forwarder.Port }.ConnectionString;
    }

    public string ConnectionString { get; }

    public Task StopAsync() => _server.StopAsync(immediate: true);

    /// <summary><c>pg_ctl restart -m fast</c> (or <c>-m immediate</c>: a crash) on the same data and port.</summary>
    public Task RestartAsync(bool immediate) => _server.RestartAsync(immediate);

    /// <summary>Starts the stopped server again on its data (it listens on another port; the forwarder follows).</summary>
    public async Task StartAgainAsync()
    {
        _server = await LocalPostgres.StartAsync(_directory, NullLogger.Instance);
        _forwarder.Retarget(new NpgsqlConnectionStringBuilder(_server.ConnectionString).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _forwarder.DisposeAsync();
        await _server.StopAsync(immediate: true);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next run's clean-up of abandoned clusters.
        }
    }
}
