namespace PaySessions.Tests.Infrastructure;

/// <summary>Waiting for a condition instead of sleeping a fixed time: the test moves on as soon as it holds.</summary>
public static class Eventually
{
    /// <summary>Reads until <paramref name="done"/> holds or <paramref name="within"/> has passed, and returns the last value read.</summary>
    public static async Task<T> Read<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan within, TimeSpan? poll = null)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(100));
        }
    }
}
