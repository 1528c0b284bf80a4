using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using PaySessions.Grains.Merchants;
using PaySessions.Silo.Hosting;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// An Orleans test cluster with the sandbox provider and a clock the test moves: sessions here
/// expire when the test says so. Its own database; one business with both sandbox methods.
/// </summary>
public sealed class LifecycleClusterFixture : IAsyncLifetime
{
    public const string Business = "biz_lifecycle";

    // The silo runs in this process, so the clock its grains read is this very object.
    public static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync("lifecycle_cluster");
        var builder = new TestClusterBuilder(initialSilosCount: 1);
        builder.ConfigureHostConfiguration(configuration => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PaySessionsTests:ConnectionString"] = ConnectionString,
            ["PaySessions:Secrets:ActiveKeyId"] = "test",
            ["PaySessions:Secrets:Keys:test"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["PaySessions:Providers:sandbox:Type"] = "sandbox",
            ["PaySessions:Providers:sandbox:WebhookSecret"] = "whsec_lifecycle_tests_0000",
            ["PaySessions:PaymentMethods:0:Id"] = "sandbox_card",
            ["PaySessions:PaymentMethods:0:Provider"] = "sandbox",
            ["PaySessions:PaymentMethods:1:Id"] = "sandbox_wallet",
            ["PaySessions:PaymentMethods:1:Provider"] = "sandbox",
            ["PaySessions:Sessions:Expiry"] = "01:00:00",
            ["PaySessions:Sessions:PendingWindow"] = "02:00:00",
        }));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();

        var business = Grains.GetGrain<IBusinessGrain>(Business);
        await business.Register("Lifecycle Ltd");
        await business.EnablePaymentMethods(["sandbox_card", "sandbox_wallet"]);
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddSingleton<TimeProvider>(Clock);
            siloBuilder.AddPaySessionsGrains(siloBuilder.Configuration["PaySessionsTests:ConnectionString"]!);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class LifecycleClusterCollection : ICollectionFixture<LifecycleClusterFixture>
{
    public const string Name = "Lifecycle cluster";
}
