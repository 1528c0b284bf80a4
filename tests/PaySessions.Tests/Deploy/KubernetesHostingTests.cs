using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting.Kubernetes;
using PaySessions.Silo.Hosting;

namespace PaySessions.Tests.Deploy;

/// <summary>
/// Orleans' Kubernetes hosting is switched on in a pod only. Hosts are built here, never started:
/// what is registered and configured is what a node would run with.
/// </summary>
public sealed class KubernetesHostingTests
{
    [Theory]
    [InlineData(null, "10.96.0.1", "Production", true)]
    [InlineData(null, "", "Production", false)]
    [InlineData(null, "10.96.0.1", "Development", false)]
    [InlineData(true, "", "Development", true)]
    [InlineData(false, "10.96.0.1", "Production", false)]
    public void It_applies_in_a_pod_outside_Development_unless_the_setting_says_otherwise(bool? setting, string serviceHost, string environment, bool expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [KubernetesHosting.ServiceHostVariable] = serviceHost })
            .Build();
        Assert.Equal(expected, KubernetesHosting.Applies(new ClusterSettings { Kubernetes = setting }, configuration, environment == "Development"));
    }

    [Fact]
    public void A_node_in_a_pod_runs_the_kubernetes_cluster_agent_and_keeps_its_configured_cluster_ids_and_ports()
    {
        var (app, services) = Build(new() { [KubernetesHosting.ServiceHostVariable] = "10.96.0.1", ["PaySessions:Cluster:ClusterId"] = "blue", ["PaySessions:Cluster:SiloPort"] = "11211" });

        Assert.Contains(services, s => s.ImplementationType == typeof(KubernetesClusterAgent));
        var cluster = app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal(("blue", "paysessions"), (cluster.ClusterId, cluster.ServiceId));
        Assert.Equal(11211, app.Services.GetRequiredService<IOptions<EndpointOptions>>().Value.SiloPort);
    }

    [Fact]
    public void A_node_outside_a_pod_registers_nothing_of_kubernetes_and_advertises_the_configured_address()
    {
        var (app, services) = Build(new() { [KubernetesHosting.ServiceHostVariable] = "", ["PaySessions:Cluster:AdvertisedIp"] = "10.1.2.3" });

        // The package's serializer metadata (Orleans finds it in every referenced assembly) is no hosting.
        var kubernetes = services.Where(s => s.ServiceType != typeof(IConfigureOptions<Orleans.Serialization.Configuration.TypeManifestOptions>)).Where(s => s.ServiceType.Assembly == typeof(KubernetesClusterAgent).Assembly
            || s.ImplementationType?.Assembly == typeof(KubernetesClusterAgent).Assembly
            || s.ServiceType.GenericTypeArguments.Any(t => t.Assembly == typeof(KubernetesClusterAgent).Assembly)).Select(s => $"{s.ServiceType} {s.ImplementationType} {s.ImplementationFactory?.Method} {s.ImplementationInstance}");
        Assert.Empty(kubernetes);
        var endpoints = app.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(IPAddress.Parse("10.1.2.3"), endpoints.AdvertisedIPAddress);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 11111), endpoints.SiloListeningEndpoint);
    }

    [Fact]
    public void The_shutdown_timeout_the_deploy_files_set_is_the_one_the_host_stops_within()
    {
        // DOTNET_shutdownTimeoutSeconds in deploy/ reaches the host as shutdownTimeoutSeconds.
        var (app, _) = Build(new() { ["shutdownTimeoutSeconds"] = "60" });
        Assert.Equal(TimeSpan.FromSeconds(60), app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    private static (WebApplication App, List<ServiceDescriptor> Services) Build(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(settings);
        var app = PaySessionsHost.Build(builder, "Host=127.0.0.1;Port=1;Database=never_opened;Username=nobody");
        return (app, builder.Services.ToList());
    }
}
