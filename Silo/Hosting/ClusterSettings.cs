using System.ComponentModel.DataAnnotations;

namespace PaySessions.Silo.Hosting;

/// <summary>How this silo joins its Orleans cluster (<c>PaySessions:Cluster</c>).</summary>
public sealed class ClusterSettings
{
    public const string Section = "PaySessions:Cluster";

    /// <summary>Silos with the same cluster id on the same database form one cluster.</summary>
    [Required]
    public string ClusterId { get; set; } = "paysessions";

    /// <summary>Stays the same across deployments: reminders and grain state are keyed by it.</summary>
    [Required]
    public string ServiceId { get; set; } = "paysessions";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// The address other silos reach this one at; loopback in Development, the pod's IP (POD_IP)
    /// under Kubernetes hosting, else detected.
    /// </summary>
    public string? AdvertisedIp { get; set; }

    /// <summary>
    /// Whether Orleans' Kubernetes hosting runs (<see cref="KubernetesHosting"/>). Unset: outside
    /// Development, when the process runs in a pod (Kubernetes sets <c>KUBERNETES_SERVICE_HOST</c>
    /// in every container).
    /// </summary>
    public bool? Kubernetes { get; set; }
}
