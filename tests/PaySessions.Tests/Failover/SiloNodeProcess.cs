using System.Diagnostics;
using System.Globalization;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Failover;

/// <summary>
/// A second node as a real process (<c>dotnet PaySessions.Silo.dll</c>, Development) joining a
/// test host's cluster on the host's database, with its own HTTP, silo and gateway ports, so a
/// test can SIGKILL it: a death no in-process silo can imitate (the peers see its sockets close
/// and its probes go unanswered, and it writes nothing to the membership table on its way out).
/// </summary>
public sealed class SiloNodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly LockedList<string> _output;

    private SiloNodeProcess(Process process, Uri baseAddress, LockedList<string> output)
    {
        _process = process;
        BaseAddress = baseAddress;
        _output = output;
    }

    public Uri BaseAddress { get; }

    public int Id => _process.Id;

    public static async Task<SiloNodeProcess> StartAsync(TestHost cluster, IDictionary<string, string>? settings = null)
    {
        var baseUrl = $"http://127.0.0.1:{Loopback.FreePort()}";
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PaySessions.Silo.dll"));
        foreach (var name in start.Environment.Keys
            .Where(k => k.StartsWith("ConnectionStrings", StringComparison.OrdinalIgnoreCase) || k.StartsWith("PaySessions", StringComparison.OrdinalIgnoreCase))
            .ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = baseUrl;
        start.Environment["ConnectionStrings__PaySessions"] = cluster.ConnectionString;
        start.Environment["PaySessions__PublicBaseUrl"] = baseUrl;
        start.Environment["PaySessions__Cluster__ClusterId"] = cluster.Identity.ClusterId;
        start.Environment["PaySessions__Cluster__ServiceId"] = cluster.Identity.ServiceId;
        start.Environment["PaySessions__Cluster__SiloPort"] = Loopback.FreePort().ToString(CultureInfo.InvariantCulture);
        start.Environment["PaySessions__Cluster__GatewayPort"] = Loopback.FreePort().ToString(CultureInfo.InvariantCulture);
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var output = new LockedList<string>();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => output.Add(e.Data ?? "");
        process.ErrorDataReceived += (_, e) => output.Add(e.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var node = new SiloNodeProcess(process, new Uri(baseUrl), output);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var ready = await Eventually.Read(
            async () =>
            {
                try
                {
                    return !process.HasExited && (await http.GetAsync(new Uri(node.BaseAddress, "/health/ready"))).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
                catch (TaskCanceledException)
                {
                    return false;
                }
            },
            done => done || process.HasExited,
            TimeSpan.FromMinutes(2),
            TimeSpan.FromMilliseconds(250));
        if (!ready)
        {
            await node.DisposeAsync();
            throw new InvalidOperationException("The second node did not become ready:\n" + string.Join('\n', output.Snapshot().TakeLast(40)));
        }

        return node;
    }

    /// <summary>SIGKILL: the process ends at once, telling nobody.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public string Output => string.Join('\n', _output.Snapshot());

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
