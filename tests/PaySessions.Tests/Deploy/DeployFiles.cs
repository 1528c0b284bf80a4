using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using PaySessions.Api;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Webhooks;
using PaySessions.Silo.Hosting;
using PaySessions.Silo.Operators;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PaySessions.Tests.Deploy;

/// <summary>The files under <c>deploy/</c>, read as data (nothing is started), and what the service really reads.</summary>
public static class DeployFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, "deploy", .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    /// <summary>Every document of a YAML file as JSON (anchors and <c>&lt;&lt;</c> merges resolved, scalars typed as YAML's core schema types them).</summary>
    public static IReadOnlyList<JsonNode?> YamlAsJson(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => ToJson(d.RootNode)).ToList();
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => Mapping(map),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidOperationException($"Unexpected YAML node {node.NodeType} at {node.Start}"),
    };

    /// <summary>A mapping, with YAML's merge key: <c>&lt;&lt;: *anchor</c> adds the anchor's keys this mapping does not set itself.</summary>
    private static JsonObject Mapping(YamlMappingNode map)
    {
        var json = new JsonObject();
        foreach (var (key, value) in map.Children.Where(c => ((YamlScalarNode)c.Key).Value != MergeKey))
        {
            json.Add(((YamlScalarNode)key).Value!, ToJson(value));
        }

        foreach (var merged in map.Children.Where(c => ((YamlScalarNode)c.Key).Value == MergeKey).Select(c => c.Value))
        {
            foreach (var source in merged is YamlSequenceNode many ? many.Children : [merged])
            {
                foreach (var (key, value) in ((YamlMappingNode)source).Children)
                {
                    var name = ((YamlScalarNode)key).Value!;
                    if (!json.ContainsKey(name))
                    {
                        json.Add(name, ToJson(value));
                    }
                }
            }
        }

        return json;
    }

    private const string MergeKey = "<<";

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        return text switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            _ when text.Contains('.', StringComparison.Ordinal)
                && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) => JsonValue.Create(real),
            _ => JsonValue.Create(text),
        };
    }

    /// <summary>The value the Silo's appsettings.json gives a setting (<c>PaySessions:Cluster:SiloPort</c>).</summary>
    public static string? AppSetting(string path)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "Silo", "appsettings.json")));
        foreach (var part in path.Split(':'))
        {
            node = node?[part];
        }

        return node?.ToString();
    }

    /// <summary>
    /// Null when the environment variable <paramref name="name"/> names something the service (or
    /// its host, Orleans' Kubernetes hosting, the OpenTelemetry SDK) reads; otherwise why not.
    /// PaySessions settings are followed through the options classes they bind to, property by
    /// property, so a misspelt or unbound key is caught.
    /// </summary>
    public static string? WhyNotASetting(string name)
    {
        if (HostVariables.Contains(name) || KubernetesHosting.PodVariables.Contains(name))
        {
            return null;
        }

        var path = name.Replace("__", ":", StringComparison.Ordinal);
        if (path.Equals("ConnectionStrings:" + DatabaseBootstrap.ConnectionStringName, StringComparison.OrdinalIgnoreCase)
            || path.Equals(PaySessions.Grains.Sessions.Xendit.PaymentLinks.PublicBaseUrlKey, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        foreach (var (section, type) in Sections)
        {
            if (path.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase))
            {
                return Walk(type, path[(section.Length + 1)..].Split(':'), name);
            }
        }

        return $"{name} is not a setting the service reads (no known section matches {path})";
    }

    /// <summary>Standard variables read by the .NET host, ASP.NET Core and the OpenTelemetry SDK.</summary>
    private static readonly HashSet<string> HostVariables =
    [
        "ASPNETCORE_ENVIRONMENT", "ASPNETCORE_HTTP_PORTS", "DOTNET_shutdownTimeoutSeconds",
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SERVICE_NAME",
    ];

    /// <summary>Sections bound to options classes (the section constant of each, so a rename here fails to build).</summary>
    private static readonly (string Section, Type Type)[] Sections =
    [
        (ClusterSettings.Section, typeof(ClusterSettings)),
        (SecretOptions.Section, typeof(SecretOptions)),
        (OperatorOptions.Section, typeof(OperatorOptions)),
        (ApiOptions.Section, typeof(ApiOptions)),
        (PaymentProvidersOptions.Section, typeof(Dictionary<string, ProviderOptions>)),
        (WebhookOptions.Section, typeof(WebhookOptions)),
    ];

    private static string? Walk(Type type, string[] segments, string name)
    {
        foreach (var segment in segments)
        {
            if (Element(type, typeof(IDictionary<,>)) is { } value)
            {
                type = value;
                continue;
            }

            if (type != typeof(string) && Element(type, typeof(IList<>)) is { } item)
            {
                if (!int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    return $"{name}: '{segment}' should be a list index";
                }

                type = item;
                continue;
            }

            var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                return $"{name}: {type.Name} has no setting '{segment}'";
            }

            type = property.PropertyType;
        }

        var leaf = Nullable.GetUnderlyingType(type) ?? type;
        return leaf.IsPrimitive || leaf.IsEnum || leaf == typeof(string) || leaf == typeof(TimeSpan) || leaf == typeof(Uri) || leaf == typeof(decimal)
            ? null
            : $"{name} ends at {type.Name}, a group of settings, not a value";
    }

    private static Type? Element(Type type, Type generic)
    {
        var match = type.IsGenericType && type.GetGenericTypeDefinition() == generic
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == generic);
        return match?.GetGenericArguments()[^1];
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PaySessions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (PaySessions.sln) is not above " + AppContext.BaseDirectory);
    }
}
