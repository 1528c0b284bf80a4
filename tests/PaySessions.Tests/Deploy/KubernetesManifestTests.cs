using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using PaySessions.Silo.Hosting;

namespace PaySessions.Tests.Deploy;

/// <summary>
/// deploy/kubernetes, validated without a cluster: every manifest is read into the Kubernetes
/// client's typed models in strict mode (an unknown or misspelt field, or a value of the wrong
/// type, fails), every object is checked for the fields the Kubernetes API requires, and then the
/// manifests are held against the service: ports, probe paths, the labels Orleans' Kubernetes
/// hosting selects by, the RBAC it needs, the shutdown budget, and every setting they pass.
/// </summary>
public sealed class KubernetesManifestTests
{
    private const string ExampleSecretFile = "secret.example.yaml";

    private static readonly Lazy<IReadOnlyDictionary<string, IReadOnlyList<IKubernetesObject>>> LoadedManifests = new(() =>
        Directory.GetFiles(DeployFiles.PathOf("kubernetes"), "*.yaml")
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .ToDictionary(f => Path.GetFileName(f), f => (IReadOnlyList<IKubernetesObject>)LoadFile(f)));

    private static IReadOnlyDictionary<string, IReadOnlyList<IKubernetesObject>> Manifests => LoadedManifests.Value;

    [Fact]
    public void Every_manifest_reads_strictly_into_the_kubernetes_models_with_every_required_field()
    {
        Assert.NotEmpty(Manifests);
        foreach (var (file, objects) in Manifests)
        {
            Assert.NotEmpty(objects);
            foreach (var item in objects)
            {
                var problems = MissingRequired(item, $"{file}: {item.Kind}").ToList();
                Assert.False(string.IsNullOrWhiteSpace((item as IMetadata<V1ObjectMeta>)?.Metadata?.Name), $"{file}: a {item.Kind} without metadata.name");
                Assert.True(problems.Count == 0, string.Join("; ", problems));
            }
        }
    }

    [Fact]
    public void The_strict_reading_catches_an_unknown_field_a_wrong_type_and_a_missing_required_field()
    {
        var deployment = DeployFiles.Read("kubernetes", "deployment.yaml");

        var misspelt = deployment.Replace("readinessProbe:", "readinesProbe:", StringComparison.Ordinal);
        Assert.ThrowsAny<YamlDotNet.Core.YamlException>(() => Load(misspelt));

        var wrongType = deployment.Replace("terminationGracePeriodSeconds: 90", "terminationGracePeriodSeconds: [90]", StringComparison.Ordinal);
        Assert.ThrowsAny<YamlDotNet.Core.YamlException>(() => Load(wrongType));

        var noPort = deployment.Replace("containerPort: 11111", "hostPort: 11111", StringComparison.Ordinal);
        Assert.Contains(Load(noPort).SelectMany(o => MissingRequired(o, "deployment")), p => p.Contains("containerPort", StringComparison.Ordinal));
    }

    [Fact]
    public void Kustomize_applies_every_manifest_but_the_example_secret()
    {
        var kustomization = (System.Text.Json.Nodes.JsonObject)DeployFiles.YamlAsJson(DeployFiles.Read("kubernetes", "kustomization.yaml")).Single()!;
        var listed = kustomization["resources"]!.AsArray().Select(r => r!.GetValue<string>()).Order().ToList();
        Assert.Equal(Manifests.Keys.Where(f => f != ExampleSecretFile).Order(), listed);
        Assert.All(Manifests.Values.SelectMany(o => o), o => Assert.True(o is V1Namespace || Namespace(o) == kustomization["namespace"]!.GetValue<string>(), $"{o.Kind} is in another namespace"));
        Assert.Equal(Deployment.Spec.Template.Spec.Containers.Single().Image.Split(':')[0], kustomization["images"]![0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void The_pods_carry_the_labels_orleans_kubernetes_hosting_selects_by_with_the_configured_ids()
    {
        var labels = Deployment.Spec.Template.Metadata.Labels;
        var environment = Environment();
        Assert.Equal(environment["PaySessions__Cluster__ServiceId"], labels[KubernetesHosting.ServiceIdLabel]);
        Assert.Equal(environment["PaySessions__Cluster__ClusterId"], labels[KubernetesHosting.ClusterIdLabel]);
        Assert.All(Deployment.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, labels[l.Key]));
    }

    [Fact]
    public void The_pod_tells_the_silo_its_name_namespace_and_address_through_the_downward_api()
    {
        var fields = Container.Env.Where(e => e.ValueFrom?.FieldRef is not null).ToDictionary(e => e.Name, e => e.ValueFrom.FieldRef.FieldPath);
        Assert.Equal(
            new Dictionary<string, string> { ["POD_NAME"] = "metadata.name", ["POD_NAMESPACE"] = "metadata.namespace", ["POD_IP"] = "status.podIP" },
            fields);
        Assert.Equal(KubernetesHosting.PodVariables.Order(), fields.Keys.Order());

        // Orleans' own address and id variables stay unset: PaySessions:Cluster is the one place they are set.
        Assert.DoesNotContain(Environment().Keys, k => k.StartsWith("ORLEANS_", StringComparison.Ordinal) || k == "PaySessions__Cluster__AdvertisedIp");
    }

    [Fact]
    public void The_container_ports_are_the_ports_the_silo_is_configured_with()
    {
        var ports = Container.Ports.ToDictionary(p => p.Name, p => p.ContainerPort.ToString(CultureInfo.InvariantCulture));
        var environment = Environment();
        Assert.Equal(environment["PaySessions__Cluster__SiloPort"], ports["silo"]);
        Assert.Equal(environment["PaySessions__Cluster__GatewayPort"], ports["gateway"]);
        Assert.Equal(DeployFiles.AppSetting("PaySessions:Cluster:SiloPort"), ports["silo"]);
        Assert.Equal(DeployFiles.AppSetting("PaySessions:Cluster:GatewayPort"), ports["gateway"]);
        Assert.Equal(environment["ASPNETCORE_HTTP_PORTS"], ports["http"]);
    }

    [Fact]
    public void Readiness_asks_the_ready_check_and_liveness_the_live_one_on_the_http_port()
    {
        Assert.Equal(HealthEndpoints.Ready, Container.ReadinessProbe.HttpGet.Path);
        Assert.Equal(HealthEndpoints.Live, Container.LivenessProbe.HttpGet.Path);
        Assert.Equal(HealthEndpoints.Live, Container.StartupProbe.HttpGet.Path);
        Assert.All([Container.ReadinessProbe, Container.LivenessProbe, Container.StartupProbe], p => Assert.Equal("http", p.HttpGet.Port.Value));
    }

    [Fact]
    public void A_terminating_pod_gets_longer_than_the_preStop_pause_and_the_hosts_shutdown_timeout()
    {
        var shutdown = int.Parse(Environment()["DOTNET_shutdownTimeoutSeconds"]!, CultureInfo.InvariantCulture);
        var preStop = Container.Lifecycle.PreStop.Sleep.Seconds;
        Assert.True(
            Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds >= preStop + shutdown + 10,
            $"terminationGracePeriodSeconds {Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds} < preStop {preStop} + shutdown {shutdown} + 10");
    }

    [Fact]
    public void The_disruption_budget_and_the_service_select_the_silo_pods()
    {
        var labels = Deployment.Spec.Template.Metadata.Labels;
        var budget = Single<V1PodDisruptionBudget>();
        Assert.All(budget.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, labels[l.Key]));
        Assert.Equal("1", budget.Spec.MaxUnavailable.Value);
        Assert.True(Deployment.Spec.Replicas >= 2, "one silo cannot hand its grains over to another");

        var service = Single<V1Service>();
        Assert.All(service.Spec.Selector, l => Assert.Equal(l.Value, labels[l.Key]));
        Assert.All(service.Spec.Ports, p => Assert.Contains(Container.Ports, c => c.Name == p.TargetPort.Value));
    }

    [Fact]
    public void The_service_account_may_do_what_orleans_kubernetes_hosting_does_with_pods()
    {
        var account = Single<V1ServiceAccount>();
        Assert.Equal(account.Metadata.Name, Deployment.Spec.Template.Spec.ServiceAccountName);

        var binding = Single<V1RoleBinding>();
        Assert.Contains(binding.Subjects, s => s.Kind == "ServiceAccount" && s.Name == account.Metadata.Name);
        var role = Single<V1Role>();
        Assert.Equal(("Role", role.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));

        // It reads and labels its own pod, lists and watches the cluster's pods.
        var podRule = Assert.Single(role.Rules, r => r.Resources.Contains("pods"));
        Assert.Equal([""], podRule.ApiGroups);
        Assert.Equal(["get", "list", "patch", "watch"], podRule.Verbs.Order());
    }

    [Fact]
    public void Every_setting_passed_to_the_nodes_is_one_the_service_reads_and_secrets_come_from_the_secret()
    {
        var problems = Environment().Keys.Select(DeployFiles.WhyNotASetting).OfType<string>().ToList();
        Assert.True(problems.Count == 0, string.Join("; ", problems));

        var secret = Single<V1Secret>(ExampleSecretFile);
        foreach (var reference in Container.Env.Where(e => e.ValueFrom?.SecretKeyRef is not null).Select(e => e.ValueFrom.SecretKeyRef))
        {
            Assert.Equal(secret.Metadata.Name, reference.Name);
            Assert.Contains(reference.Key, secret.StringData.Keys);
        }

        // What production refuses to start without comes from the Secret, never written in a manifest.
        var fromSecret = Container.Env.Where(e => e.ValueFrom?.SecretKeyRef is not null).Select(e => e.Name).ToList();
        Assert.Contains("ConnectionStrings__PaySessions", fromSecret);
        Assert.Contains(fromSecret, n => n.StartsWith("PaySessions__Operators__Users__", StringComparison.Ordinal));
        Assert.Contains($"PaySessions__Secrets__Keys__{Environment()["PaySessions__Secrets__ActiveKeyId"]}", fromSecret);
        Assert.All(secret.StringData.Values, v => Assert.Contains("REPLACE-ME", v, StringComparison.Ordinal));
        Assert.Equal("Production", Environment()["ASPNETCORE_ENVIRONMENT"]);
    }

    [Fact]
    public void The_pods_trust_forwarded_addresses_from_a_network_the_service_accepts()
    {
        var trusted = Environment().Where(e => e.Key.StartsWith("PaySessions__Http__TrustedProxies__", StringComparison.Ordinal)).Select(e => e.Value).ToList();

        Assert.NotEmpty(trusted);
        Assert.All(trusted, value => Assert.True(PaySessions.Api.ApiOptions.TryParseProxy(value, out _), $"'{value}' is not an address or a network"));
        Assert.Contains(trusted, value => value!.Contains('/', StringComparison.Ordinal));
    }

    private static V1Deployment Deployment => Single<V1Deployment>();

    private static V1Container Container => Deployment.Spec.Template.Spec.Containers.Single();

    /// <summary>The container's environment as the pod sees it: the ConfigMap's keys, then its own (which win).</summary>
    private static Dictionary<string, string?> Environment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var source in Container.EnvFrom)
        {
            var configMap = Single<V1ConfigMap>();
            Assert.Equal(configMap.Metadata.Name, source.ConfigMapRef.Name);
            foreach (var (key, value) in configMap.Data)
            {
                environment[key] = value;
            }
        }

        foreach (var variable in Container.Env)
        {
            environment[variable.Name] = variable.Value;
        }

        return environment;
    }

    private static T Single<T>(string? file = null)
    {
        var all = Manifests.Where(m => file is null || m.Key == file).SelectMany(m => m.Value).OfType<T>().ToList();
        return Assert.Single(all);
    }

    private static string? Namespace(IKubernetesObject item) => (item as IMetadata<V1ObjectMeta>)?.Metadata?.NamespaceProperty;

    private static List<IKubernetesObject> LoadFile(string path)
    {
        try
        {
            return Load(File.ReadAllText(path));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidOperationException($"deploy/kubernetes/{Path.GetFileName(path)} does not read as Kubernetes objects: {e.Message} ({e.InnerException?.Message})", e);
        }
    }

    private static List<IKubernetesObject> Load(string yaml) =>
        KubernetesYaml.LoadAllFromString(yaml, typeMap: null, strict: true).Cast<IKubernetesObject>().ToList();

    /// <summary>
    /// The fields the Kubernetes API marks required, for every model these manifests use (from the
    /// API reference; the client's models do not carry it). A model met here that is not in this
    /// table fails the test, so a manifest that starts using a new kind of object adds its row.
    /// </summary>
    private static readonly Dictionary<Type, string[]> Required = new()
    {
        [typeof(V1Namespace)] = ["metadata"],
        [typeof(V1ServiceAccount)] = ["metadata"],
        [typeof(V1Role)] = ["metadata"],
        [typeof(V1RoleBinding)] = ["metadata", "roleRef"],
        [typeof(V1ConfigMap)] = ["metadata"],
        [typeof(V1Secret)] = ["metadata"],
        [typeof(V1Service)] = ["metadata", "spec"],
        [typeof(V1Deployment)] = ["metadata", "spec"],
        [typeof(V1PodDisruptionBudget)] = ["metadata", "spec"],
        [typeof(V1ObjectMeta)] = [], // a pod template has none; every object's own name is checked apart
        [typeof(V1PolicyRule)] = ["verbs"],
        [typeof(V1RoleRef)] = ["apiGroup", "kind", "name"],
        [typeof(Rbacv1Subject)] = ["kind", "name"],
        [typeof(V1ServiceSpec)] = [],
        [typeof(V1ServicePort)] = ["port"],
        [typeof(V1PodDisruptionBudgetSpec)] = [],
        [typeof(V1LabelSelector)] = [],
        [typeof(V1DeploymentSpec)] = ["selector", "template"],
        [typeof(V1DeploymentStrategy)] = [],
        [typeof(V1RollingUpdateDeployment)] = [],
        [typeof(V1PodTemplateSpec)] = [],
        [typeof(V1PodSpec)] = ["containers"],
        [typeof(V1PodSecurityContext)] = [],
        [typeof(V1SeccompProfile)] = ["type"],
        [typeof(V1Affinity)] = [],
        [typeof(V1PodAntiAffinity)] = [],
        [typeof(V1WeightedPodAffinityTerm)] = ["weight", "podAffinityTerm"],
        [typeof(V1PodAffinityTerm)] = ["topologyKey"],
        [typeof(V1Container)] = ["name"],
        [typeof(V1ContainerPort)] = ["containerPort"],
        [typeof(V1EnvFromSource)] = [],
        [typeof(V1ConfigMapEnvSource)] = [],
        [typeof(V1EnvVar)] = ["name"],
        [typeof(V1EnvVarSource)] = [],
        [typeof(V1ObjectFieldSelector)] = ["fieldPath"],
        [typeof(V1SecretKeySelector)] = ["key"],
        [typeof(V1Probe)] = [],
        [typeof(V1HTTPGetAction)] = ["port"],
        [typeof(V1Lifecycle)] = [],
        [typeof(V1LifecycleHandler)] = [],
        [typeof(V1SleepAction)] = ["seconds"],
        [typeof(V1ResourceRequirements)] = [],
        [typeof(V1SecurityContext)] = [],
        [typeof(V1Capabilities)] = [],
    };

    private static IEnumerable<string> MissingRequired(object model, string where)
    {
        var type = model.GetType();
        if (!Required.TryGetValue(type, out var required))
        {
            yield return $"{where}: {type.Name} is not in the table of required fields; add its row from the Kubernetes API reference";
            yield break;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
            if (name is null || property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var value = property.GetValue(model);
            if (required.Contains(name) && (value is null || (value is int number && number == 0 && property.PropertyType == typeof(int))))
            {
                yield return $"{where}: {type.Name}.{name} is required";
            }

            foreach (var child in Children(value))
            {
                foreach (var problem in MissingRequired(child, $"{where}.{name}"))
                {
                    yield return problem;
                }
            }
        }
    }

    private static IEnumerable<object> Children(object? value) => value switch
    {
        null or string or IntOrString or ResourceQuantity => [],
        IDictionary dictionary => dictionary.Values.Cast<object?>().SelectMany(Children),
        IEnumerable list => list.Cast<object?>().SelectMany(Children),
        _ when value.GetType().Namespace == typeof(V1Pod).Namespace => [value],
        _ => [],
    };
}
