using System.Collections;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization.Configuration;
using Orleans.Storage;
using PaySessions.Grains;
using PaySessions.Grains.Payments;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>
/// Every class a grain keeps in grain storage (<c>IPersistentState&lt;T&gt;</c>, found by reflection over
/// the Grains assembly, so a new one is covered without touching this test) is filled with
/// non-default values, written through the host's own configured grain storage to PostgreSQL and
/// read back equal. Collections typed as interfaces are filled the way grain code fills them, by a
/// collection expression, whose runtime type is a compiler-made class that grain storage names in
/// its JSON and cannot create again (the sandbox refunds' bug): stored state must declare arrays or
/// concrete collections.
/// </summary>
public sealed class StoredStateRoundTripTests : IAsyncLifetime
{
    private TestHost _host = null!;

    // The host allows the check's own old-shaped class (test types are not on Orleans' allow-list),
    // so what fails it is the collection expression's type alone.
    public async Task InitializeAsync() => _host = await TestHost.StartAsync(configure: builder =>
        builder.Services.Configure<TypeManifestOptions>(options => options.AddAllowedType(typeof(OldRefundsShape))));

    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    public static TheoryData<string> StateTypes()
    {
        var data = new TheoryData<string>();
        foreach (var (type, _) in StoredStates())
        {
            data.Add(type.FullName!);
        }

        return data;
    }

    [Fact]
    public void The_grains_assembly_is_seen_to_keep_state_in_grain_storage()
    {
        // Guards the reflection below: an empty list would make the theory pass for nothing.
        Assert.Contains(StoredStates(), s => s.Type == typeof(SandboxPayment));
        Assert.True(StoredStates().Count >= 3, string.Join(", ", StoredStates().Select(s => s.Type.Name)));
    }

    [Theory]
    [MemberData(nameof(StateTypes))]
    public async Task Every_stored_state_filled_with_values_reads_back_equal_through_grain_storage(string typeName)
    {
        var (type, storageName) = StoredStates().Single(s => s.Type.FullName == typeName);

        var (written, read) = await RoundTrip(type, storageName);

        Assert.Equal(Json(type, written), Json(type, read));
    }

    [Fact]
    public async Task The_check_catches_a_collection_expression_in_a_property_typed_as_a_read_only_list()
    {
        // The old shape of SandboxPayment.Refunds: what the check above would meet in a state class.
        var failure = await Record.ExceptionAsync(() => RoundTrip(typeof(OldRefundsShape), StorageNames.Merchants));

        Assert.NotNull(failure);
        Assert.Contains("z__ReadOnlyArray", failure.Message, StringComparison.Ordinal);
    }

    private async Task<(object Written, object? Read)> RoundTrip(Type type, string storageName)
    {
        var method = typeof(StoredStateRoundTripTests).GetMethod(nameof(RoundTripAs), BindingFlags.NonPublic | BindingFlags.Instance)!.MakeGenericMethod(type);
        return await (Task<(object, object?)>)method.Invoke(this, [storageName])!;
    }

    private async Task<(object Written, object? Read)> RoundTripAs<T>(string storageName)
    {
        var storage = _host.Services.GetRequiredKeyedService<IGrainStorage>(storageName);
        var grainId = GrainId.Create("roundtrip", Guid.NewGuid().ToString("N"));
        var written = (T)StateFiller.Fill(typeof(T));
        await storage.WriteStateAsync("roundtrip", grainId, new GrainState<T>(written));

        var read = new GrainState<T>();
        await storage.ReadStateAsync("roundtrip", grainId, read);
        Assert.True(read.RecordExists);
        return (written!, read.State);
    }

    /// <summary>Every T of an <c>IPersistentState&lt;T&gt;</c> a grain class in the Grains assembly takes, with its storage's name.</summary>
    private static List<(Type Type, string StorageName)> StoredStates() =>
        typeof(StorageNames).Assembly.GetTypes()
            .Where(t => typeof(Grain).IsAssignableFrom(t) && !t.IsAbstract)
            .SelectMany(t => t.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance))
            .SelectMany(c => c.GetParameters())
            .Where(p => p.ParameterType.IsGenericType && p.ParameterType.GetGenericTypeDefinition() == typeof(IPersistentState<>))
            .Select(p => (p.ParameterType.GetGenericArguments()[0], p.GetCustomAttribute<PersistentStateAttribute>()?.StorageName ?? "Default"))
            .Distinct()
            .ToList();

    // A neutral, deep rendering to compare by value (records compare their collections by reference).
    private static string Json(Type type, object? value) => JsonSerializer.Serialize(value, type);

    public sealed record OldRefundsShape(string Reference)
    {
        public IReadOnlyList<SandboxRefund> Refunds { get; init; } = [];
    }
}

/// <summary>
/// Builds an instance of a state class with every property set to a value other than its default,
/// recursively, collections with two elements: interface-typed ones through a collection
/// expression (as grain code writes them), concrete ones as themselves.
/// </summary>
internal static class StateFiller
{
    private static int _seed = 1;

    public static object Fill(Type type, int depth = 0)
    {
        var value = ValueOf(type, depth);
        return value ?? throw new InvalidOperationException($"StateFiller cannot make a {type}: teach it.");
    }

    private static object? ValueOf(Type type, int depth)
    {
        var n = Interlocked.Increment(ref _seed);
        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            return ValueOf(inner, depth);
        }

        if (type == typeof(string))
        {
            return $"value-{n}";
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type.IsEnum)
        {
            var values = Enum.GetValues(type).Cast<object>().Where(v => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) != 0).ToList();
            return values.Count > 0 ? values[n % values.Count] : Enum.GetValues(type).GetValue(0);
        }

        if (type == typeof(DateTimeOffset))
        {
            return new DateTimeOffset(2026, 11, 30, 12, 34, 56, 789, TimeSpan.Zero).AddSeconds(n);
        }

        if (type == typeof(DateTime))
        {
            return new DateTime(2026, 11, 30, 12, 34, 56, DateTimeKind.Utc).AddSeconds(n);
        }

        if (type == typeof(TimeSpan))
        {
            return TimeSpan.FromSeconds(n);
        }

        if (type == typeof(Guid))
        {
            return Guid.NewGuid();
        }

        if (type == typeof(byte[]))
        {
            return new byte[] { 1, 2, (byte)n };
        }

        if (type.IsPrimitive || type == typeof(decimal))
        {
            return Convert.ChangeType(n % 100 + 1, type, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (type.IsArray)
        {
            var element = type.GetElementType()!;
            var array = Array.CreateInstance(element, 2);
            array.SetValue(Fill(element, depth + 1), 0);
            array.SetValue(Fill(element, depth + 1), 1);
            return array;
        }

        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            var arguments = type.GetGenericArguments();
            if (definition == typeof(IReadOnlyList<>) || definition == typeof(IReadOnlyCollection<>) || definition == typeof(IEnumerable<>))
            {
                return typeof(StateFiller).GetMethod(nameof(CollectionExpression), BindingFlags.NonPublic | BindingFlags.Static)!
                    .MakeGenericMethod(arguments[0]).Invoke(null, [Fill(arguments[0], depth + 1), Fill(arguments[0], depth + 1)]);
            }

            if (definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(ICollection<>)
                || definition == typeof(HashSet<>) || definition == typeof(ISet<>) || definition == typeof(IReadOnlySet<>))
            {
                var concrete = definition == typeof(HashSet<>) || definition == typeof(ISet<>) || definition == typeof(IReadOnlySet<>)
                    ? typeof(HashSet<>).MakeGenericType(arguments) : typeof(List<>).MakeGenericType(arguments);
                var collection = Activator.CreateInstance(concrete)!;
                var add = concrete.GetMethod("Add")!;
                add.Invoke(collection, [Fill(arguments[0], depth + 1)]);
                add.Invoke(collection, [Fill(arguments[0], depth + 1)]);
                return collection;
            }

            if (definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
            {
                var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(arguments))!;
                dictionary.Add(Fill(arguments[0], depth + 1), Fill(arguments[1], depth + 1));
                return dictionary;
            }
        }

        if ((type.IsClass || type.IsValueType) && depth < 6 && !typeof(IEnumerable).IsAssignableFrom(type))
        {
            return Construct(type, depth);
        }

        return null;
    }

    private static IReadOnlyList<T> CollectionExpression<T>(T first, T second) => [first, second];

    // The constructor with the most parameters (a positional record's), then every settable
    // property (init-only included) the constructor did not take.
    private static object Construct(Type type, int depth)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        var instance = constructor is null
            ? Activator.CreateInstance(type)!
            : constructor.Invoke([.. constructor.GetParameters().Select(p => Fill(p.ParameterType, depth + 1))]);
        var taken = constructor?.GetParameters().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is { IsPublic: true } && property.GetIndexParameters().Length == 0 && !taken.Contains(property.Name) && property.Name != "EqualityContract")
            {
                property.SetValue(instance, Fill(property.PropertyType, depth + 1));
            }
        }

        return instance;
    }
}
