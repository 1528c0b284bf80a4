namespace PaySessions.Api.Http;

/// <summary>
/// Grain references for the hot paths, without Orleans' lookup on every call. <c>GetGrain&lt;T&gt;(key)</c>
/// works out the interface's grain type from its attributes each time it is called (reflection,
/// about 3% of a create's CPU in a profile); this works it out once per interface and then builds
/// each reference straight from the grain id. The reference is the same one GetGrain returns.
/// </summary>
public static class GrainReferences
{
    public static T Get<T>(this IGrainFactory grains, string key)
        where T : IGrainWithStringKey
    {
        var types = TypesOf<T>.Get(grains);
        return (T)grains.GetGrain(GrainId.Create(types.Grain, key), types.Interface);
    }

    private sealed record GrainTypes(GrainType Grain, GrainInterfaceType Interface);

    // Grain types are names derived from the grain classes, the same for every host in the process.
    private static class TypesOf<T>
        where T : IGrainWithStringKey
    {
        private static GrainTypes? _types;

        public static GrainTypes Get(IGrainFactory grains)
        {
            if (Volatile.Read(ref _types) is { } known)
            {
                return known;
            }

            var sample = (GrainReference)(object)grains.GetGrain<T>("types");
            var types = new GrainTypes(sample.GrainId.Type, sample.InterfaceType);
            Volatile.Write(ref _types, types);
            return types;
        }
    }
}
