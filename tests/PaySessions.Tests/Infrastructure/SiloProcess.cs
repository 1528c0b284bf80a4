using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace PaySessions.Tests.Infrastructure;

/// <summary>The ports one node listens on: HTTP (Kestrel), silo-to-silo and the Orleans gateway, all on loopback.</summary>
public sealed record SiloPorts(int Http, int Silo, int Gateway)
{
    public static SiloPorts Free() => new(Loopback.FreePort(), Loopback.FreePort(), Loopback.FreePort());

    public Uri BaseAddress => new($"http://127.0.0.1:{Http.ToString(CultureInfo.InvariantCulture)}");
}

/// <summary>
/// One PaySessions node as a real operating-system process: <c>dotnet PaySessions.Silo.dll</c>
/// from the test's output folder (the build copies the Silo there), Development settings, on
/// loopback ports of its own and the database it is given. Its standard output and error are kept
/// for failure messages. <see cref="Kill"/> is SIGKILL (no shutdown, no handover: a crashed
/// machine); disposing kills it too, so a failing test never leaves a node behind.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private const int OutputLinesKept = 400;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private SiloProcess(Process process, string name, SiloPorts ports)
    {
        _process = process;
        Name = name;
        Ports = ports;
        // No automatic redirects: the sandbox's 303 is the answer a test looks at.
        Http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = ports.BaseAddress,
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    public string Name { get; }

    public SiloPorts Ports { get; }

    public Uri BaseAddress => Ports.BaseAddress;

    public int ProcessId => _process.Id;

    /// <summary>A client of this node only (10 s per request; redirects are not followed).</summary>
    public HttpClient Http { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote (stdout and stderr, in arrival order).</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>
    /// Starts a node; <paramref name="settings"/> are configuration keys (<c>PaySessions:Sessions:Expiry</c>)
    /// on top of what every node gets: Development, the connection string, the cluster identity and
    /// the ports. It is not ready yet: see <see cref="WaitReadyAsync"/>.
    /// </summary>
    public static SiloProcess Start(
        string name, SiloPorts ports, string connectionString, ClusterIdentity identity, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var configuration = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["ConnectionStrings:PaySessions"] = connectionString,
            ["urls"] = ports.BaseAddress.ToString().TrimEnd('/'),
            ["PaySessions:PublicBaseUrl"] = ports.BaseAddress.ToString().TrimEnd('/'),
            ["PaySessions:Cluster:ClusterId"] = identity.ClusterId,
            ["PaySessions:Cluster:ServiceId"] = identity.ServiceId,
            ["PaySessions:Cluster:SiloPort"] = ports.Silo.ToString(CultureInfo.InvariantCulture),
            ["PaySessions:Cluster:GatewayPort"] = ports.Gateway.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:Console:FormatterName"] = "simple",
            ["Logging:Console:FormatterOptions:SingleLine"] = "true",
            ["Logging:Console:FormatterOptions:TimestampFormat"] = "HH:mm:ss.fff ",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var start = Command("Development", configuration, []);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var node = new SiloProcess(process, name, ports);
        process.OutputDataReceived += (_, line) => node.Keep(line.Data);
        process.ErrorDataReceived += (_, line) => node.Keep(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>
    /// <c>dotnet PaySessions.Silo.dll args…</c> run to its end (<c>check</c>, <c>merchants …</c>),
    /// in <paramref name="environment"/> with <paramref name="configuration"/>: its exit code and output.
    /// </summary>
    public static async Task<(int Code, string Output)> RunToExitAsync(
        string environment, IReadOnlyDictionary<string, string?> configuration, params string[] args)
    {
        var (code, output, error) = await RunToExitAsync(Command(environment, configuration, args));
        return (code, output + error);
    }

    /// <summary>
    /// A Silo command (see <see cref="Command"/>) run to its end: its exit code, standard output and
    /// standard error apart. One that never ends is killed after 2 minutes and answers -1.
    /// </summary>
    public static async Task<(int Code, string Output, string Error)> RunToExitAsync(ProcessStartInfo start)
    {
        using var process = new Process { StartInfo = start };
        process.Start();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        // Not a timing assertion: a command that never ends (or a node that wrongly starts serving)
        // would otherwise hang the run.
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(giveUp.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, await output, $"`{string.Join(' ', start.ArgumentList.Skip(1))}` did not end by itself.\n{await error}");
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>
    /// Waits until <c>/health/ready</c> answers 200 (PostgreSQL reachable and the silo active);
    /// fails with the node's output if the process exits first or never gets there.
    /// </summary>
    public async Task WaitReadyAsync()
    {
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        // Not a timing assertion: a node that never gets ready must not hang the run.
        var giveUpAt = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before it was ready.\n{Output}");
            }

            try
            {
                using var response = await probe.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > giveUpAt)
            {
                throw new InvalidOperationException($"{Name} was not ready after 3 minutes.\n{Output}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>SIGKILL: the process ends at once, as on a crash or a lost machine; returns once it is gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }

        Http.Dispose();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// How to start <c>dotnet PaySessions.Silo.dll args…</c>: in <paramref name="environment"/>
    /// (<c>ASPNETCORE_ENVIRONMENT</c>; null sets none) with <paramref name="configuration"/> as
    /// environment variables (<c>:</c> becomes <c>__</c>), nothing inherited from the test run that
    /// names an environment, a database, a URL or a setting, output and error redirected. It runs in
    /// the test output folder, where the Silo's appsettings files are, unless <paramref name="workingDirectory"/> says otherwise.
    /// </summary>
    public static ProcessStartInfo Command(
        string? environment, IReadOnlyDictionary<string, string?> configuration, IEnumerable<string> args, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PaySessions.Silo.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in start.Environment.Keys
            .Where(k => k is "ASPNETCORE_ENVIRONMENT" or "DOTNET_ENVIRONMENT" or "ASPNETCORE_URLS" or "DOTNET_URLS"
                || k.StartsWith("ConnectionStrings", StringComparison.OrdinalIgnoreCase)
                || k.StartsWith("PaySessions", StringComparison.OrdinalIgnoreCase)
                || k.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase))
            .ToList())
        {
            start.Environment.Remove(name);
        }

        if (environment is not null)
        {
            start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        }

        // Workstation GC: several nodes share the test machine's few cores and its memory.
        start.Environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in configuration)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return start;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > OutputLinesKept && _output.TryDequeue(out _))
        {
        }
    }
}
