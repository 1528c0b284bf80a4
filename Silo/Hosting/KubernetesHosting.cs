namespace PaySessions.Silo.Hosting;

/// <summary>
/// Orleans' Kubernetes hosting (Microsoft.Orleans.Hosting.Kubernetes), switched on only in a pod:
/// the silo takes its name from <c>POD_NAME</c> and advertises <c>POD_IP</c>, labels its pod with
/// <c>orleans/serviceId</c> and <c>orleans/clusterId</c>, and up to two silos watch the pods with
/// those labels: a silo whose pod is deleted is declared dead at once, without waiting for missed
/// probes. Membership itself stays in PostgreSQL (ADO.NET clustering), as everywhere else.
/// Outside a pod nothing of this is registered.
/// </summary>
public static class KubernetesHosting
{
    /// <summary>Set by Kubernetes in every container of a pod.</summary>
    public const string ServiceHostVariable = "KUBERNETES_SERVICE_HOST";

    /// <summary>Pod labels the hosting selects its cluster's pods by (the values of ServiceId and ClusterId).</summary>
    public const string ServiceIdLabel = Orleans.Hosting.Kubernetes.KubernetesHostingOptions.ServiceIdLabel;

    public const string ClusterIdLabel = Orleans.Hosting.Kubernetes.KubernetesHostingOptions.ClusterIdLabel;

    /// <summary>The downward-API variables the hosting reads.</summary>
    public static readonly string[] PodVariables =
    [
        Orleans.Hosting.Kubernetes.KubernetesHostingOptions.PodNameEnvironmentVariable,
        Orleans.Hosting.Kubernetes.KubernetesHostingOptions.PodNamespaceEnvironmentVariable,
        Orleans.Hosting.Kubernetes.KubernetesHostingOptions.PodIPEnvironmentVariable,
    ];

    /// <summary>
    /// <c>PaySessions:Cluster:Kubernetes</c> when set; otherwise in a pod and outside Development
    /// (a developer's tests run in Development, also on a CI runner that is itself a pod).
    /// </summary>
    public static bool Applies(ClusterSettings settings, IConfiguration configuration, bool isDevelopment) =>
        settings.Kubernetes ?? (!isDevelopment && !string.IsNullOrWhiteSpace(configuration[ServiceHostVariable]));

    public static ISiloBuilder Use(ISiloBuilder silo) => silo.UseKubernetesHosting();
}
