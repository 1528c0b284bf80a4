using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.TestingHost;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Merchants;
using PaySessions.Silo.Hosting;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// The run's one in-process Orleans test cluster (two in one process trip over each other while
/// starting). Grains store their events, state and reminders in its own database; the sandbox
/// provider is configured, one business has both sandbox methods, and the clock is a fake the
/// tests move. Tests of the collection run one after another, so moving the clock is safe; they
/// use fresh keys. Its event store is the real one, counted (<see cref="CountingEventStore"/>).
/// </summary>
public sealed class SessionClusterFixture : IAsyncLifetime
{
    public const string Business = "biz_cluster_tests";
    private const string ConnectionStringKey = "PaySessionsTests:ConnectionString";

    // The silo runs in this process, so the clock its grains read is this very object.
    public static readonly FakeTimeProvider Clock = new(DateTimeOffset.UtcNow);

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync("session_cluster");
        var builder = new TestClusterBuilder(initialSilosCount: 1);
        builder.ConfigureHostConfiguration(configuration => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [ConnectionStringKey] = ConnectionString,
            ["PaySessions:Secrets:ActiveKeyId"] = "test",
            ["PaySessions:Secrets:Keys:test"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["PaySessions:Providers:sandbox:Type"] = "sandbox",
            ["PaySessions:Providers:sandbox:WebhookSecret"] = "whsec_cluster_tests_0000",
            ["PaySessions:PaymentMethods:0:Id"] = "sandbox_card",
            ["PaySessions:PaymentMethods:0:Provider"] = "sandbox",
            ["PaySessions:PaymentMethods:1:Id"] = "sandbox_wallet",
            ["PaySessions:PaymentMethods:1:Provider"] = "sandbox",
            ["PaySessions:Sessions:PendingWindow"] = "02:00:00",
        }));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await ClusterWarmUp.UntilGrainTypesAreKnown(Grains);

        var business = Grains.GetGrain<IBusinessGrain>(Business);
        await business.Register("Cluster Tests Ltd");
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
            var connectionString = siloBuilder.Configuration[ConnectionStringKey]
                ?? throw new InvalidOperationException("The test cluster has no connection string.");
            siloBuilder.Services.AddSingleton<TimeProvider>(Clock);

            // The real store behind a tally of its calls, so tests can see which calls reach it.
            siloBuilder.Services.AddSingleton<PostgresEventStore>(services => ActivatorUtilities.CreateInstance<PostgresEventStore>(services));
            siloBuilder.Services.AddSingleton<IEventStore>(services => new CountingEventStore(services.GetRequiredService<PostgresEventStore>()));
            siloBuilder.AddPaySessionsGrains(connectionString);
            siloBuilder.Services.Configure<GrainCollectionOptions>(options => options.CollectionQuantum = TimeSpan.FromSeconds(1));
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SessionClusterCollection : ICollectionFixture<SessionClusterFixture>
{
    public const string Name = "Session cluster";
}
