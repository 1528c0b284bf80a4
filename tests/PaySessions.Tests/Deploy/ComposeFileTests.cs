using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using PaySessions.Silo.Hosting;

namespace PaySessions.Tests.Deploy;

/// <summary>
/// deploy/compose.yaml, validated without a Docker engine: against the Compose Specification's
/// JSON schema (vendored beside this file from compose-spec/compose-spec, Apache-2.0; the
/// schema Docker Compose v2 validates with: unknown keys and wrong shapes fail), then against
/// the service it runs: every environment key is a setting the nodes read, and the addresses,
/// ports and paths the proxy, the nodes and the collector name agree with one another.
/// </summary>
public sealed partial class ComposeFileTests
{
    private static readonly string[] Nodes = ["node1", "node2"];

    private readonly JsonObject _compose = (JsonObject)DeployFiles.YamlAsJson(DeployFiles.Read("compose.yaml")).Single()!;

    [Fact]
    public void The_compose_file_is_valid_against_the_compose_specification_schema()
    {
        Assert.Empty(SchemaProblems(_compose));
    }

    [Fact]
    public void The_schema_check_catches_an_unknown_key_and_a_wrong_shape()
    {
        var misspelt = (JsonObject)_compose.DeepClone();
        misspelt["services"]!["node1"]!["enviroment"] = new JsonObject { ["A"] = "b" };
        Assert.Contains(SchemaProblems(misspelt), p => p.Contains("/services/node1", StringComparison.Ordinal));

        var wrongShape = (JsonObject)_compose.DeepClone();
        wrongShape["services"]!["proxy"]!["ports"] = "8080:8080";
        Assert.NotEmpty(SchemaProblems(wrongShape));
    }

    [Fact]
    public void Every_environment_key_of_a_node_is_a_setting_the_service_reads()
    {
        foreach (var node in Nodes)
        {
            var problems = EnvironmentOf(node).Keys.Select(DeployFiles.WhyNotASetting).OfType<string>().ToList();
            Assert.True(problems.Count == 0, $"{node}: " + string.Join("; ", problems));
        }
    }

    [Fact]
    public void The_nodes_start_as_production_nodes_with_everything_production_requires()
    {
        foreach (var node in Nodes)
        {
            var environment = EnvironmentOf(node);
            Assert.Equal("Production", environment["ASPNETCORE_ENVIRONMENT"]);
            Assert.Contains("ConnectionStrings__PaySessions", environment.Keys);
            Assert.Contains(environment.Keys, k => k.StartsWith("PaySessions__Operators__Users__", StringComparison.Ordinal));
            var activeKey = environment["PaySessions__Secrets__ActiveKeyId"];
            Assert.Contains($"PaySessions__Secrets__Keys__{activeKey}", environment.Keys);

            // Secrets come from deploy/.env, required: none is written in the file.
            Assert.Matches(RequiredVariable(), environment[$"PaySessions__Secrets__Keys__{activeKey}"]);
            Assert.Matches(RequiredVariable(), environment.Single(e => e.Key.StartsWith("PaySessions__Operators__Users__", StringComparison.Ordinal)).Value);
        }
    }

    [Fact]
    public void Both_nodes_join_one_cluster_each_advertising_its_own_address_on_the_network()
    {
        var subnet = IPNetwork.Parse(_compose["networks"]!["paysessions"]!["ipam"]!["config"]![0]!["subnet"]!.GetValue<string>());
        var clusters = Nodes.Select(n => (EnvironmentOf(n)["PaySessions__Cluster__ClusterId"], EnvironmentOf(n)["PaySessions__Cluster__ServiceId"])).Distinct();
        Assert.Single(clusters);

        var advertised = new HashSet<string>();
        foreach (var node in Nodes)
        {
            var address = EnvironmentOf(node)["PaySessions__Cluster__AdvertisedIp"];
            Assert.Equal(AddressOf(node), address);
            Assert.True(subnet.Contains(IPAddress.Parse(address)), $"{node} advertises {address}, outside {subnet}");
            Assert.True(advertised.Add(address), $"{address} is advertised twice");
            Assert.Equal(DeployFiles.AppSetting("PaySessions:Cluster:SiloPort"), EnvironmentOf(node)["PaySessions__Cluster__SiloPort"]);
            Assert.Equal(DeployFiles.AppSetting("PaySessions:Cluster:GatewayPort"), EnvironmentOf(node)["PaySessions__Cluster__GatewayPort"]);
        }
    }

    [Fact]
    public void Only_the_proxy_is_trusted_with_forwarded_client_addresses_and_it_sends_to_every_node_by_the_ready_check()
    {
        foreach (var node in Nodes)
        {
            var trusted = EnvironmentOf(node).Where(e => e.Key.StartsWith("PaySessions__Http__TrustedProxies__", StringComparison.Ordinal)).Select(e => e.Value);
            Assert.Equal([AddressOf("proxy")], trusted);
        }

        var caddyfile = DeployFiles.Read("Caddyfile");
        var upstreams = ReverseProxyLine().Match(caddyfile);
        Assert.True(upstreams.Success, "The Caddyfile has no reverse_proxy line");
        Assert.Equal(Nodes.Select(n => $"{n}:8080"), upstreams.Groups["upstreams"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(HealthEndpoints.Ready, HealthUri().Match(caddyfile).Groups["path"].Value);

        // Only the proxy is published; the nodes listen where the proxy sends (ASP.NET's default port in the image).
        Assert.Equal(["proxy"], Services().Where(s => s.Value!["ports"] is not null).Select(s => s.Key));
        Assert.Contains("ASPNETCORE_HTTP_PORTS=8080", DeployFiles.Read("Dockerfile"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_nodes_export_to_the_collector_on_the_port_its_configuration_receives_on()
    {
        var collector = (JsonObject)DeployFiles.YamlAsJson(DeployFiles.Read("otel-collector.yaml")).Single()!;
        var grpcPort = collector["receivers"]!["otlp"]!["protocols"]!["grpc"]!["endpoint"]!.GetValue<string>().Split(':')[^1];
        foreach (var node in Nodes)
        {
            var endpoint = new Uri(EnvironmentOf(node)["OTEL_EXPORTER_OTLP_ENDPOINT"]);
            Assert.Equal("otel-collector", endpoint.Host);
            Assert.Equal(grpcPort, endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("grpc", EnvironmentOf(node)["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        }

        Assert.NotNull(_compose["services"]!["otel-collector"]);
        foreach (var (signal, pipeline) in (JsonObject)collector["service"]!["pipelines"]!)
        {
            Assert.Contains("otlp", pipeline!["receivers"]!.AsArray().Select(r => r!.GetValue<string>()));
            Assert.All(pipeline["exporters"]!.AsArray(), e => Assert.NotNull(collector["exporters"]![e!.GetValue<string>()]));
            Assert.NotNull(signal);
        }
    }

    [Fact]
    public void A_stopping_node_gets_longer_than_its_shutdown_timeout_to_hand_its_grains_over()
    {
        foreach (var node in Nodes)
        {
            var shutdown = TimeSpan.FromSeconds(int.Parse(EnvironmentOf(node)["DOTNET_shutdownTimeoutSeconds"], System.Globalization.CultureInfo.InvariantCulture));
            var grace = _compose["services"]![node]!["stop_grace_period"]!.GetValue<string>();
            Assert.EndsWith("s", grace, StringComparison.Ordinal);
            Assert.True(TimeSpan.FromSeconds(int.Parse(grace[..^1], System.Globalization.CultureInfo.InvariantCulture)) > shutdown, $"{node}: stop_grace_period {grace} is not longer than {shutdown}");
        }
    }

    private Dictionary<string, string> EnvironmentOf(string service) =>
        ((JsonObject)_compose["services"]![service]!["environment"]!).ToDictionary(e => e.Key, e => e.Value!.ToString());

    private IEnumerable<KeyValuePair<string, JsonNode?>> Services() => (JsonObject)_compose["services"]!;

    private string AddressOf(string service) => _compose["services"]![service]!["networks"]!["paysessions"]!["ipv4_address"]!.GetValue<string>();

    private static readonly Lazy<JsonSchema> Schema = new(() =>
    {
        // The file is kept as published; it names draft-07 by its https address, which the
        // validator knows by the canonical http one.
        var schema = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Deploy", "compose-spec.json")))!;
        Assert.Equal("https://json-schema.org/draft-07/schema", schema["$schema"]!.GetValue<string>());
        schema["$schema"] = "http://json-schema.org/draft-07/schema#";
        return JsonSchema.FromText(schema.ToJsonString(), baseUri: new Uri("https://paysessions.test/compose-spec.json"));
    });

    private static List<string> SchemaProblems(JsonNode compose)
    {
        using var document = JsonDocument.Parse(compose.ToJsonString());
        var result = Schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return result.IsValid
            ? []
            : (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")).ToList();
    }

    [GeneratedRegex(@"^\$\{[A-Z_]+:\?[^}]+\}$")]
    private static partial Regex RequiredVariable();

    [GeneratedRegex(@"^\s*reverse_proxy\s+(?<upstreams>[^{\n]+?)\s*\{", RegexOptions.Multiline)]
    private static partial Regex ReverseProxyLine();

    [GeneratedRegex(@"^\s*health_uri\s+(?<path>\S+)", RegexOptions.Multiline)]
    private static partial Regex HealthUri();
}
