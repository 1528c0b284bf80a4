using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PaySessions.Silo.Hosting;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// A whole PaySessions process (silo, ADO.NET clustering, Kestrel on loopback) built by the same
/// code as <c>dotnet run --project Silo</c>. Hosts given the same <see cref="Identity"/> form
/// one cluster on the run's database, which is how tests restart or add a node.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestHost(WebApplication app, Uri baseAddress, ClusterIdentity identity, string connectionString, bool routesOfItsOwn)
    {
        _app = app;
        ConnectionString = connectionString;
        BaseAddress = baseAddress;
        Identity = identity;
        // Every response a test gets from the host is checked against the host's API description.
        Http = new HttpClient(new ApiContractHandler(baseAddress, routesOfItsOwn)) { BaseAddress = baseAddress };
    }

    public Uri BaseAddress { get; }

    /// <summary>The database of this host's cluster (see <see cref="ClusterIdentity.Database"/>).</summary>
    public string ConnectionString { get; }

    public ClusterIdentity Identity { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();

    /// <param name="identity">The cluster to join; a new one when null.</param>
    /// <param name="settings">Configuration on top of the test defaults.</param>
    /// <param name="connectionString">Another PostgreSQL than the run's (a server of the test's own); the identity's database when null.</param>
    /// <param name="configure">Last changes to the builder, e.g. a logger provider that captures output.</param>
    /// <param name="map">Routes of the test's own, mapped after the service's (e.g. a route group in another dialect).</param>
    public static async Task<TestHost> StartAsync(
        ClusterIdentity? identity = null,
        IDictionary<string, string?>? settings = null,
        string? connectionString = null,
        Action<WebApplicationBuilder>? configure = null,
        Action<WebApplication>? map = null)
    {
        identity ??= ClusterIdentity.New();
        connectionString ??= await TestDatabase.CreateAsync(identity.Database);
        // A port the OS called free can be taken (by another test's outgoing connection) before
        // Kestrel or the silo binds it: such a start is thrown away and tried on new ports.
        for (var attempt = 1; ; attempt++)
        {
            var app = Build(identity, settings, connectionString, configure, map);
            try
            {
                await app.StartAsync();
            }
            catch (Exception e) when (attempt < 5 && IsAddressInUse(e))
            {
                await DisposeQuietly(app);
                continue;
            }

            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new TestHost(app, new Uri(address), identity, connectionString, routesOfItsOwn: map is not null);
        }
    }

    private static WebApplication Build(
        ClusterIdentity identity,
        IDictionary<string, string?>? settings,
        string connectionString,
        Action<WebApplicationBuilder>? configure,
        Action<WebApplication>? map)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Development,
            ContentRootPath = AppContext.BaseDirectory,
        });

        var baseUrl = $"http://127.0.0.1:{Loopback.FreePort()}";
        var configuration = new Dictionary<string, string?>
        {
            ["urls"] = baseUrl,
            ["PaySessions:PublicBaseUrl"] = baseUrl,
            ["PaySessions:Cluster:ClusterId"] = identity.ClusterId,
            ["PaySessions:Cluster:ServiceId"] = identity.ServiceId,
            ["PaySessions:Cluster:SiloPort"] = Loopback.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PaySessions:Cluster:GatewayPort"] = Loopback.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        configure?.Invoke(builder);
        var app = PaySessionsHost.Build(builder, connectionString);
        map?.Invoke(app);
        return app;
    }

    private static bool IsAddressInUse(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is Microsoft.AspNetCore.Connections.AddressInUseException
                || inner is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }

        return false;
    }

    private static async Task DisposeQuietly(WebApplication app)
    {
        try
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        catch (Exception)
        {
            // The failed start is being thrown away; what it left behind no longer matters.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

}

/// <summary>
/// Which cluster a host joins, and its database: hosts with one identity share a database (a
/// restart, a second node); hosts of different identities never see each other's rows.
/// </summary>
public sealed record ClusterIdentity(string ClusterId, string ServiceId)
{
    public string Database => "db_" + ServiceId.Replace('-', '_');

    public static ClusterIdentity New()
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        return new ClusterIdentity($"test-{id}", $"svc-{id}");
    }
}
