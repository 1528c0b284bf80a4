using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace PaySessions.Silo.Development;

/// <summary>
/// A PostgreSQL server of our own, run from the machine's binaries (initdb, pg_ctl): in
/// Development when no connection string is configured (the service's data under
/// <c>.data/postgres</c>), or a throwaway cluster for a test run. Never used in production. PostgreSQL refuses to run as root, so as root every
/// command runs as the <c>postgres</c> user, and the data folder must be reachable by it.
/// </summary>
public sealed partial class LocalPostgres : IAsyncDisposable
{
    public const string DatabaseName = "paysessions";

    private readonly string _binDirectory;
    private readonly string _dataDirectory;
    private readonly bool _asPostgresUser;
    private readonly bool _ownsServer;
    private readonly ILogger _logger;

    private LocalPostgres(string binDirectory, string dataDirectory, bool asPostgresUser, bool ownsServer, int port, ILogger logger)
    {
        _binDirectory = binDirectory;
        _dataDirectory = dataDirectory;
        _asPostgresUser = asPostgresUser;
        _ownsServer = ownsServer;
        _logger = logger;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Database = DatabaseName,
        }.ConnectionString;
    }

    public string ConnectionString { get; }

    public string DataDirectory => _dataDirectory;

    /// <summary>
    /// Starts (creating it first if needed) the cluster in <paramref name="dataDirectory"/>, or
    /// joins the server already running there, and makes sure the database exists.
    /// </summary>
    /// <exception cref="LocalPostgresException">No binaries, or the server would not start.</exception>
    public static async Task<LocalPostgres> StartAsync(string dataDirectory, ILogger logger, CancellationToken cancellationToken = default)
    {
        var bin = FindBinDirectory()
            ?? throw new LocalPostgresException("no PostgreSQL server binaries (initdb, pg_ctl) were found in /usr/lib/postgresql/*/bin or on PATH");
        var asPostgresUser = Environment.UserName == "root";
        var directory = Path.GetFullPath(dataDirectory);
        if (asPostgresUser && !ReachableByOthers(directory))
        {
            var fallback = Path.Combine(Path.GetTempPath(), "paysessions-" + StableHash(directory), "postgres");
            LogFallback(logger, directory, fallback);
            directory = fallback;
        }

        Directory.CreateDirectory(directory);
        if (asPostgresUser)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", directory], asPostgresUser: false, cancellationToken);
        }

        var server = new LocalPostgresStarter(bin, directory, asPostgresUser);
        if (!File.Exists(Path.Combine(directory, "PG_VERSION")))
        {
            LogInitializing(logger, directory);
            await server.RunAsync("initdb", ["-D", directory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], cancellationToken);
        }

        int port;
        var owns = false;
        if (await server.IsRunningAsync(cancellationToken) && ReadRunningPort(directory) is { } runningPort)
        {
            port = runningPort;
            LogJoining(logger, directory, port);
        }
        else
        {
            // The port is remembered per data folder, so that a connection string written down for
            // a second node (or a tool) still works after this server restarts; a remembered port
            // something else has taken since is replaced, and the new one remembered.
            var remembered = ReadRememberedPort(directory);
            port = remembered is { } again && IsFree(again) ? again : FreeLoopbackPort();
            if (port != remembered)
            {
                await File.WriteAllTextAsync(Path.Combine(directory, PortFile), port.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
                if (remembered is { } taken)
                {
                    LogPortTaken(logger, directory, taken, port);
                }
            }

            // Room for several nodes and tools on one machine (each node holds a pool, its writers'
            // connections and Orleans' own), and for the test run's many hosts and Silo processes.
            var options = $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c max_connections=1000";
            await server.RunAsync("pg_ctl", ["-D", directory, "-o", options, "-l", Path.Combine(directory, "server.log"), "-w", "-t", "60", "start"], cancellationToken);
            owns = true;
            LogStarted(logger, directory, port);
        }

        var local = new LocalPostgres(bin, directory, asPostgresUser, owns, port, logger);
        await local.EnsureDatabaseAsync(cancellationToken);
        return local;
    }

    public ValueTask DisposeAsync() => new(StopAsync(immediate: false));

    /// <summary>
    /// Stops the server this instance started (one it joined is left running). <paramref name="immediate"/>
    /// skips the clean shutdown: for throwaway clusters whose data is deleted next.
    /// </summary>
    public async Task StopAsync(bool immediate)
    {
        if (!_ownsServer)
        {
            return;
        }

        try
        {
            await new LocalPostgresStarter(_binDirectory, _dataDirectory, _asPostgresUser)
                .RunAsync("pg_ctl", ["-D", _dataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "stop"], CancellationToken.None);
            LogStopped(_logger, _dataDirectory);
        }
        catch (LocalPostgresException e)
        {
            LogStopFailed(_logger, _dataDirectory, e.Message);
        }
    }

    /// <summary>
    /// <c>pg_ctl restart</c> of the server this instance started, on the same port and data:
    /// <paramref name="immediate"/> is a crash (every backend killed, in-flight transactions lost,
    /// crash recovery at start), otherwise a fast shutdown (clients told, transactions rolled back).
    /// For tests of what the service does when its database goes away under it.
    /// </summary>
    public Task RestartAsync(bool immediate) =>
        new LocalPostgresStarter(_binDirectory, _dataDirectory, _asPostgresUser).RunAsync(
            "pg_ctl",
            ["-D", _dataDirectory, "-m", immediate ? "immediate" : "fast", "-l", Path.Combine(_dataDirectory, "server.log"), "-w", "-t", "60", "restart"],
            CancellationToken.None);

    /// <summary>Stops whatever server may still run in <paramref name="dataDirectory"/> (left by a process that died), quietly.</summary>
    public static async Task StopAbandonedAsync(string dataDirectory)
    {
        if (FindBinDirectory() is not { } bin || !File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
        {
            return;
        }

        try
        {
            await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", dataDirectory, "-m", "immediate", "-w", "stop"], Environment.UserName == "root", CancellationToken.None);
        }
        catch (LocalPostgresException)
        {
            // Not running: nothing to stop.
        }
    }

    private async Task EnsureDatabaseAsync(CancellationToken cancellationToken)
    {
        var admin = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = DatabaseName });
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static string? FindBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        if (Directory.Exists(root))
        {
            var newest = Directory.GetDirectories(root)
                .Select(path => (path, version: int.TryParse(Path.GetFileName(path), out var v) ? v : -1))
                .Where(d => File.Exists(Path.Combine(d.path, "bin", "pg_ctl")))
                .OrderByDescending(d => d.version)
                .Select(d => Path.Combine(d.path, "bin"))
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(dir => File.Exists(Path.Combine(dir, "pg_ctl")) && File.Exists(Path.Combine(dir, "initdb")));
    }

    // The postgres user must be able to enter every folder above the data folder.
    private static bool ReachableByOthers(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        for (var dir = Path.GetDirectoryName(directory); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (Directory.Exists(dir) && (File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }

        return true;
    }

    private static int? ReadRunningPort(string directory)
    {
        // postmaster.pid: line 4 holds the port the running server listens on.
        var pidFile = Path.Combine(directory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return null;
        }

        var lines = File.ReadAllLines(pidFile);
        return lines.Length > 3 && int.TryParse(lines[3], out var port) ? port : null;
    }

    /// <summary>The file in the data folder that remembers the port its server listens on.</summary>
    public const string PortFile = "paysessions.port";

    private static int? ReadRememberedPort(string directory)
    {
        var file = Path.Combine(directory, PortFile);
        return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var port) && port is > 0 and <= IPEndPoint.MaxPort ? port : null;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string StableHash(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..12];

    internal static async Task<string> RunAsync(string file, IReadOnlyList<string> arguments, bool asPostgresUser, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo
        {
            FileName = asPostgresUser ? "runuser" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgresUser)
        {
            foreach (var part in new[] { "-u", "postgres", "--", file })
            {
                start.ArgumentList.Add(part);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new LocalPostgresException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new LocalPostgresException($"{Path.GetFileName(file)} failed with exit code {process.ExitCode}: {(await error).Trim()} {(await output).Trim()}".Trim());
        }

        return await output;
    }

    private sealed class LocalPostgresStarter(string bin, string directory, bool asPostgresUser)
    {
        public Task<string> RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
            LocalPostgres.RunAsync(Path.Combine(bin, tool), arguments, asPostgresUser, cancellationToken);

        public async Task<bool> IsRunningAsync(CancellationToken cancellationToken)
        {
            try
            {
                await RunAsync("pg_ctl", ["-D", directory, "status"], cancellationToken);
                return true;
            }
            catch (LocalPostgresException)
            {
                return false;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL runs as the postgres user, which cannot reach {Wanted}; using {Fallback} instead")]
    private static partial void LogFallback(ILogger logger, string wanted, string fallback);

    [LoggerMessage(Level = LogLevel.Information, Message = "Creating a local PostgreSQL cluster in {Directory}")]
    private static partial void LogInitializing(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The local PostgreSQL in {Directory} used port {Taken}, which is taken now: it listens on {Port} from now on")]
    private static partial void LogPortTaken(ILogger logger, string directory, int taken, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Joining the local PostgreSQL already running in {Directory} on port {Port}")]
    private static partial void LogJoining(ILogger logger, string directory, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started local PostgreSQL in {Directory} on 127.0.0.1:{Port}")]
    private static partial void LogStarted(ILogger logger, string directory, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped local PostgreSQL in {Directory}")]
    private static partial void LogStopped(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not stop local PostgreSQL in {Directory}: {Reason}")]
    private static partial void LogStopFailed(ILogger logger, string directory, string reason);
}

public sealed class LocalPostgresException(string message) : Exception(message);
