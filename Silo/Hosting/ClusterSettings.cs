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

    /// <summary>
    /// How long a liveness probe to another silo may take before it counts as missed: Orleans'
    /// <c>ClusterMembershipOptions.ProbeTimeout</c>, which also sets the probe period (Orleans adapts
    /// both per peer between half and four times this value, from the round trips it measures).
    /// 1 s instead of Orleans' 5 s: a silo killed without warning is declared dead after
    /// <see cref="NumMissedProbesLimit"/> missed probes, about 1.5 to 3 s instead of 10 to 15 s, and
    /// until then every call to it (and every grain-directory lookup its directory partition
    /// answers) fails or waits. Faster probing does not make false deaths likely: a silo whose
    /// connection delivered any message within the last <c>MaxProbeTimeout</c> × missed-probe
    /// limit (12 s here) is never voted dead (Orleans' <c>EnableConnectionLivenessCheck</c>, on),
    /// a prober whose own process is starved extends its timeouts (<c>ExtendProbeTimeoutDuringDegradation</c>, on),
    /// and from three silos on, a silo is declared dead only when a second silo agrees
    /// (<c>NumVotesForDeathDeclaration</c> 2; a direct probe's vote plus an indirect probe's).
    /// Raise it on networks slower than a data centre's.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:01:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive missed probes after which a silo suspects (votes against) another: Orleans' default, 3.</summary>
    [Range(1, 10)]
    public int NumMissedProbesLimit { get; set; } = 3;

    /// <summary>
    /// The longest the HTTP front door waits for one grain call before answering 503 with
    /// <c>Retry-After</c> (the call itself is not stopped; see <see cref="FrontDoorCallDeadline"/>).
    /// Below Orleans' 30 s response timeout so a request never hangs that long, above the 10 s a
    /// payment provider is given (a payment is one grain call that waits for the provider).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
