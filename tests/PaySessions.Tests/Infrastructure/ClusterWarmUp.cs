using PaySessions.Grains.Merchants;

namespace PaySessions.Tests.Infrastructure;

public static class ClusterWarmUp
{
    /// <summary>
    /// A test cluster's client can be connected before it has the cluster's grain-type manifest,
    /// and then a first call fails with "Could not find an implementation for interface". Wait
    /// until a call goes through (a few seconds at most) before tests start.
    /// </summary>
    public static async Task UntilGrainTypesAreKnown(IGrainFactory grains)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await grains.GetGrain<IBusinessGrain>("warm-up").GetProfile();
                return;
            }
            catch (ArgumentException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
