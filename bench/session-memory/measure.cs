#:sdk Microsoft.NET.Sdk.Web
#:project ../../Silo/Silo.csproj
#:property PublishAot=false

// What an active session costs in memory: starts a throwaway PostgreSQL and the service as the
// README runs it (one silo, co-hosted front door), creates N sessions (each stays active), and
// prints the managed heap and working set before, while they are active, and after they are
// collected. Usage: dotnet run bench/session-memory/measure.cs [N, default 20000]
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using PaySessions.Grains.Sessions;
using PaySessions.Silo.Development;
using PaySessions.Silo.Hosting;

var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
var directory = Path.Combine(Path.GetTempPath(), "paysessions-memory-" + Guid.NewGuid().ToString("N")[..8]);
var postgres = await LocalPostgres.StartAsync(directory, NullLogger.Instance);
try
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["urls"] = $"http://127.0.0.1:{FreePort()}",
        ["PaySessions:Cluster:ClusterId"] = "memory",
        ["PaySessions:Cluster:ServiceId"] = "memory",
        ["PaySessions:Cluster:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
        ["PaySessions:Cluster:GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
        ["Logging:LogLevel:Default"] = "Warning",
        ["PaySessions:Secrets:ActiveKeyId"] = "memory",
        ["PaySessions:Secrets:Keys:memory"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
    });
    var app = PaySessionsHost.Build(builder, postgres.ConnectionString);
    await app.StartAsync();
    var grains = app.Services.GetRequiredService<IGrainFactory>();
    var management = grains.GetGrain<IManagementGrain>(0);

    // A warm-up create, so one-off costs (connection pool, code paths) are not counted per session.
    await Create(grains, "warmup");
    await management.ForceActivationCollection(TimeSpan.Zero);
    var (heap0, set0) = Measure();

    using var gate = new SemaphoreSlim(32);
    await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
    {
        await gate.WaitAsync();
        try
        {
            await Create(grains, "order_" + i.ToString(CultureInfo.InvariantCulture));
        }
        finally
        {
            gate.Release();
        }
    }));
    var active = (await management.GetSimpleGrainStatistics())
        .Where(s => s.GrainType.Contains(nameof(PaymentSessionGrain), StringComparison.Ordinal))
        .Sum(s => s.ActivationCount);
    var (heap1, set1) = Measure();

    await management.ForceActivationCollection(TimeSpan.Zero);
    var (heap2, set2) = Measure();

    Console.WriteLine($"sessions created: {count:N0}, session activations: {active:N0}");
    Console.WriteLine($"managed heap: {heap0 / 1e6:F1} MB before, {heap1 / 1e6:F1} MB active, {heap2 / 1e6:F1} MB after collection");
    Console.WriteLine($"working set:  {set0 / 1e6:F1} MB before, {set1 / 1e6:F1} MB active, {set2 / 1e6:F1} MB after collection");
    Console.WriteLine($"per active session: {(heap1 - heap2) / count:N0} bytes of managed heap released by collection, {(set1 - set0) / count:N0} bytes of working set growth");

    await app.StopAsync();
    await app.DisposeAsync();
}
finally
{
    await postgres.StopAsync(immediate: true);
    Directory.Delete(directory, recursive: true);
}

static Task Create(IGrainFactory grains, string orderId) =>
    grains.GetGrain<IPaymentSessionGrain>(SessionIds.New()).Create(new CreateSession
    {
        BusinessId = "biz_memory",
        OrderId = orderId,
        Customer = "customer_abc123",
        Amount = 10000,
        Currency = "USD",
        Items = [new LineItem("Premium Plan", 1, 10000)],
        Description = "Premium subscription",
        Metadata = new Dictionary<string, string> { ["user_id"] = "usr_123", ["plan"] = "premium" },
        ClientIp = "203.0.113.42",
    });

static (long Heap, long WorkingSet) Measure()
{
    var heap = GC.GetTotalMemory(forceFullCollection: true);
    return (heap, Environment.WorkingSet);
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}
