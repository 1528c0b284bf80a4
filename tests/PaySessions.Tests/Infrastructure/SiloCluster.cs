using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using PaySessions.Silo.Hosting;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// Nodes as real processes (<see cref="SiloProcess"/>) forming one Orleans cluster on a database
/// of their own (a cluster identity of its own, so no other test class sees its rows or its
/// expiry sweep), plus a business of the test's own. In front of them, as a load balancer would be,
/// one loopback address that forwards to a running node: every node's <c>PaySessions:PublicBaseUrl</c>
/// (payment links, the sandbox's webhooks to the service). Nodes start in
/// parallel; <see cref="Kill"/> SIGKILLs one, <see cref="RestartAsync"/> starts a new process on
/// the same ports. Disposing kills every node that is still running.
/// </summary>
public sealed class SiloCluster : IAsyncDisposable
{
    private readonly SiloProcess?[] _nodes;
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly List<SiloProcess> _everyProcess = [];
    private readonly TcpForwarder _front;
    private int _frontTarget;

    private SiloCluster(ClusterIdentity identity, string connectionString, int size, IReadOnlyDictionary<string, string?> settings, TcpForwarder front)
    {
        Identity = identity;
        ConnectionString = connectionString;
        _nodes = new SiloProcess?[size];
        _front = front;
        _settings = new Dictionary<string, string?>(settings, StringComparer.Ordinal) { ["PaySessions:PublicBaseUrl"] = FrontAddress.ToString().TrimEnd('/') };
        Database = NpgsqlDataSource.Create(connectionString);
    }

    /// <summary>The address in front of the nodes (it reaches a running one).</summary>
    public Uri FrontAddress => new($"http://127.0.0.1:{_front.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    public ClusterIdentity Identity { get; }

    public string ConnectionString { get; }

    /// <summary>The cluster's database, for the test's own reads.</summary>
    public NpgsqlDataSource Database { get; }

    /// <summary>The nodes by index; a killed node stays in its place until it is restarted.</summary>
    public IReadOnlyList<SiloProcess> Nodes => [.. _nodes.Select(n => n!)];

    /// <summary>The nodes that have not been killed.</summary>
    public IReadOnlyList<SiloProcess> Running => [.. _nodes.Where(n => n is { HasExited: false }).Select(n => n!)];

    public static async Task<SiloCluster> StartAsync(int size, IReadOnlyDictionary<string, string?> settings)
    {
        var identity = ClusterIdentity.New();
        var connectionString = await TestDatabase.CreateAsync(identity.Database);
        var ports = Enumerable.Range(0, size).Select(_ => SiloPorts.Free()).ToArray();
        var cluster = new SiloCluster(identity, connectionString, size, settings, new TcpForwarder(ports[0].Http));
        try
        {
            await Task.WhenAll(Enumerable.Range(0, size).Select(i => cluster.StartNodeAsync(i, ports[i])));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>SIGKILLs node <paramref name="index"/>; the front address moves on to a running node.</summary>
    public void Kill(int index)
    {
        _nodes[index]!.Kill();
        if (_frontTarget == index && Array.FindIndex(_nodes, n => n is { HasExited: false }) is var next and >= 0)
        {
            _frontTarget = next;
            _front.Retarget(_nodes[next]!.Ports.Http);
        }
    }

    /// <summary>A new process for node <paramref name="index"/> on the ports it had, as an operator restarts a crashed node; returns once it is ready.</summary>
    public async Task<SiloProcess> RestartAsync(int index)
    {
        var old = _nodes[index]!;
        old.Kill();
        var node = SiloProcess.Start($"node {index} (restarted)", old.Ports, ConnectionString, Identity, _settings);
        Track(index, node);
        await node.WaitReadyAsync();
        return node;
    }

    /// <summary><c>dotnet PaySessions.Silo.dll check</c> against the cluster's database, as an operator runs it.</summary>
    public Task<(int Code, string Output)> CheckAsync() =>
        SiloProcess.RunToExitAsync("Production", new Dictionary<string, string?> { ["ConnectionStrings:PaySessions"] = ConnectionString }, "check");

    /// <summary>
    /// A new business (<see cref="TestMerchants.CreateBusinessAsync"/>), set up through one Orleans
    /// client of the running cluster: a <c>merchants</c> command per step would start a process and a client each.
    /// </summary>
    public Task<CreatedBusiness> CreateBusinessAsync(string webhookUrl, IReadOnlyList<string> webhookEvents, IReadOnlyList<string> methods) =>
        WithClientAsync(grains => grains.CreateBusinessAsync("Cluster test shop", webhookUrl, webhookEvents, methods));

    /// <summary>
    /// The index of the running node where a grain of a type named <paramref name="grainType"/> is
    /// active (asked of the cluster's management grain by an Orleans client of the cluster); null when none is.
    /// </summary>
    public Task<int?> NodeHostingAsync(string grainType) =>
        WithClientAsync(async grains =>
        {
            var statistics = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
            var silo = statistics.FirstOrDefault(s => s.GrainType.Contains(grainType, StringComparison.Ordinal))?.SiloAddress;
            var index = silo is null ? -1 : Array.FindIndex(_nodes, n => n is { HasExited: false } && n.Ports.Silo == silo.Endpoint.Port);
            return index < 0 ? (int?)null : index;
        });

    /// <summary>Runs <paramref name="work"/> with an Orleans client of the cluster (found through its membership table), as the <c>merchants</c> commands connect.</summary>
    public async Task<T> WithClientAsync<T>(Func<IGrainFactory, Task<T>> work)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client => client
            .UseAdoNetClustering(options =>
            {
                options.Invariant = OrleansSetup.Invariant;
                options.ConnectionString = ConnectionString;
            })
            .Configure<ClusterOptions>(options =>
            {
                options.ClusterId = Identity.ClusterId;
                options.ServiceId = Identity.ServiceId;
            }));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            return await work(host.Services.GetRequiredService<IGrainFactory>());
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>Every node's output, for a failure message.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var node in _everyProcess)
        {
            text.Append("--- ").Append(node.Name).Append(" (pid ").Append(node.ProcessId).Append(", ")
                .Append(node.HasExited ? "exited" : "running").AppendLine(") ---").AppendLine(node.Output);
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _everyProcess)
        {
            await node.DisposeAsync();
        }

        await Database.DisposeAsync();
        await _front.DisposeAsync();
    }

    private async Task StartNodeAsync(int index, SiloPorts ports)
    {
        // A port the OS called free can be taken before the node binds it: such a start is thrown
        // away and tried again on new ports.
        for (var attempt = 1; ; attempt++)
        {
            if (attempt > 1)
            {
                ports = SiloPorts.Free();
                if (_frontTarget == index)
                {
                    _front.Retarget(ports.Http);
                }
            }

            var node = SiloProcess.Start($"node {index}", ports, ConnectionString, Identity, _settings);
            Track(index, node);
            try
            {
                await node.WaitReadyAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && node.HasExited && node.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    private void Track(int index, SiloProcess node)
    {
        lock (_everyProcess)
        {
            _everyProcess.Add(node);
            _nodes[index] = node;
        }
    }
}
