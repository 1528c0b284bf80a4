using System.Net;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Orleans.Configuration;
using Orleans.EventSourcing;
using PaySessions.Grains;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Idempotency;
using Microsoft.Extensions.Options;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Webhooks;
using PaySessions.Grains.RateLimits;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Xendit;

namespace PaySessions.Silo.Hosting;

/// <summary>Everything that ties grains to PostgreSQL, shared by the silo and the test clusters.</summary>
public static class OrleansSetup
{
    /// <summary>The ADO.NET invariant Orleans uses to load Npgsql.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>
    /// Grain storage, reminders and the session event store on <paramref name="connectionString"/>.
    /// Clustering is separate (<see cref="UsePaySessionsClustering"/>) so a test cluster can keep
    /// its own membership while testing the rest.
    /// </summary>
    public static ISiloBuilder AddPaySessionsGrains(this ISiloBuilder silo, string connectionString)
    {
        silo.AddAdoNetGrainStorage(StorageNames.Merchants, options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
        silo.UseAdoNetReminderService(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
        // The session grain names no provider (see PaymentSessionGrain): the unkeyed factory, which
        // Orleans takes when a grain has no [LogConsistencyProvider], is this one. Registered first,
        // so the provider's own fallback registration (to a provider named "Default") stays out.
        silo.Services.AddSingleton<ILogViewAdaptorFactory>(services => services.GetRequiredKeyedService<ILogViewAdaptorFactory>(StorageNames.SessionEvents));
        silo.AddCustomStorageBasedLogConsistencyProvider(StorageNames.SessionEvents);
        silo.AddIncomingGrainCallFilter<PaySessions.Grains.Storage.StoredStateGuard>();

        var services = silo.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => CreateDataSource(connectionString));
        services.TryAddSingleton<IEventStore, PostgresEventStore>();
        services.AddOptions<EventStoreOptions>().BindConfiguration(EventStoreOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EventStoreOptions>, EventStoreOptionsValidator>();
        services.TryAddSingleton<ISessionIndex, PostgresSessionIndex>();
        services.TryAddSingleton<SessionActivations>();
        services.TryAddSingleton<IBusinessDirectory, PostgresBusinessDirectory>();
        services.TryAddSingleton<PaySessions.Grains.Customers.ICustomerStore, PaySessions.Grains.Customers.PostgresCustomerStore>();
        services.TryAddSingleton<IIdempotencyStore, PostgresIdempotencyStore>();
        services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IdempotencyOptions>, IdempotencyOptionsValidator>();
        services.TryAddSingleton<PaymentProviders>();
        services.TryAddSingleton<PaymentMethodCatalog>();
        services.TryAddSingleton(_ => new PaymentLinks(silo.Configuration[PaymentLinks.PublicBaseUrlKey]));
        services.AddOptions<PaymentMethodCatalogOptions>()
            .Configure<IConfiguration>((options, configuration) => configuration.GetSection(PaymentMethodCatalogOptions.Section).Bind(options.Methods))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PaymentMethodCatalogOptions>, PaymentMethodCatalogOptionsValidator>();
        services.AddOptions<PaymentProvidersOptions>().Configure<IConfiguration>((options, configuration) =>
        {
            options.PublicBaseUrl = configuration["PaySessions:PublicBaseUrl"] ?? options.PublicBaseUrl;
            configuration.GetSection(PaymentProvidersOptions.Section).Bind(options.Providers);
        }).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PaymentProvidersOptions>, PaymentProvidersOptionsValidator>();
        services.AddHttpClient(SandboxPaymentGrain.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10));
        HttpRedirectProvider.AddHttpClients(services, silo.Configuration);

        services.TryAddSingleton<SecretProtector>();
        services.AddOptions<SecretOptions>().BindConfiguration(SecretOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SecretOptions>, SecretOptionsValidator>();
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>();
        services.TryAddSingleton<IWebhookOutbox, PostgresWebhookOutbox>();
        services.TryAddSingleton<PaySessions.Grains.Payments.IProviderCallbackLog, PaySessions.Grains.Payments.PostgresProviderCallbackLog>();
        services.AddWebhookHttpClient();
        services.TryAddSingleton<ILateRefundOutbox, PostgresLateRefundOutbox>();
        services.AddOptions<LateRefundOptions>().BindConfiguration(LateRefundOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LateRefundOptions>, LateRefundOptionsValidator>();
        services.AddOptions<PaymentSessionOptions>().BindConfiguration(PaymentSessionOptions.Section);
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateOnStart();

        var sessionOptions = silo.Configuration.GetSection(PaymentSessionOptions.Section).Get<PaymentSessionOptions>() ?? new PaymentSessionOptions();
        silo.Configure<ReminderOptions>(options =>
        {
            if (sessionOptions.ExpirySweepPeriod < options.MinimumReminderPeriod)
            {
                options.MinimumReminderPeriod = sessionOptions.ExpirySweepPeriod;
            }
        });
        return silo;
    }

    /// <summary>
    /// The pool the event store, the outbox and the indexes share. Unless the connection string
    /// says otherwise, each connection keeps the statements it runs often prepared (Npgsql's
    /// automatic preparation): the event store's batches repeat the same few statements, and
    /// PostgreSQL, which shares the machine's cores, then skips parsing and planning them.
    /// A connection handed back to the pool is not reset (Npgsql's <c>No Reset On Close</c>):
    /// nothing this pool runs changes session state (no <c>SET</c>, temporary table, listener or
    /// advisory lock; the migrator locks on a connection of its own), and the reset would
    /// otherwise go out again, ahead of the statements, with every batch of the writers.
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        }

        builder.ConnectionStringBuilder.NoResetOnClose = true;
        return builder.Build();
    }

    /// <summary>Membership through the ADO.NET provider: every silo on the database with the same cluster id joins.</summary>
    public static ISiloBuilder UsePaySessionsClustering(this ISiloBuilder silo, string connectionString, ClusterSettings settings, bool isDevelopment)
    {
        // First, so that the cluster and service ids below win over Orleans' ORLEANS_* variables:
        // PaySessions:Cluster is the one place they are set.
        var kubernetes = KubernetesHosting.Applies(settings, silo.Configuration, isDevelopment);
        if (kubernetes)
        {
            KubernetesHosting.Use(silo);
        }

        silo.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
        silo.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = settings.ClusterId;
            options.ServiceId = settings.ServiceId;
        });
        silo.UsePaySessionsFailureDetection(settings);

        if (settings.AdvertisedIp is { } ip)
        {
            silo.ConfigureEndpoints(IPAddress.Parse(ip), settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: true);
        }
        else if (kubernetes)
        {
            // Kubernetes hosting advertises the pod's IP (POD_IP) and listens on every address.
            silo.Configure<EndpointOptions>(options =>
            {
                options.SiloPort = settings.SiloPort;
                options.GatewayPort = settings.GatewayPort;
            });
        }
        else if (isDevelopment)
        {
            silo.ConfigureEndpoints(IPAddress.Loopback, settings.SiloPort, settings.GatewayPort);
        }
        else
        {
            silo.ConfigureEndpoints(settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: true);
        }

        return silo;
    }

    /// <summary>
    /// How fast a dead silo is noticed and how long the front door waits for any one grain call
    /// (see <see cref="ClusterSettings.ProbeTimeout"/> and <see cref="ClusterSettings.CallTimeout"/>).
    /// The other membership settings keep Orleans' defaults on purpose: the grain directory is
    /// Orleans' default in-cluster one, whose partitions move to the survivors as soon as the
    /// membership declares a silo dead, and every other detection setting (indirect probes, the
    /// connection liveness check, the degradation extension, 2 votes, defunct entries kept 7
    /// days and cleaned hourly) already serves this cluster.
    /// </summary>
    public static ISiloBuilder UsePaySessionsFailureDetection(this ISiloBuilder silo, ClusterSettings settings)
    {
        silo.Configure<ClusterMembershipOptions>(options =>
        {
            options.ProbeTimeout = settings.ProbeTimeout;
            options.NumMissedProbesLimit = settings.NumMissedProbesLimit;
        });
        silo.AddOutgoingGrainCallFilter(new FrontDoorCallDeadline(settings.CallTimeout));
        return silo;
    }
}
