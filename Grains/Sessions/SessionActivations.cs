using System.Collections.Concurrent;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// The session grains active on this silo, kept by the grains themselves (added on activation,
/// removed on deactivation). The expiry sweep asks it which due sessions it may expire in bulk: a
/// session with a live activation here is left to its grain, which expires it from its own state,
/// so no activation keeps a state the bulk path has moved past. It is a hint, not a lock: a grain
/// that activates after the question is settled by the stream's version (see
/// <see cref="PaymentSessionGrain"/>).
/// </summary>
public sealed class SessionActivations
{
    private readonly ConcurrentDictionary<string, int> _active = new(StringComparer.Ordinal);

    /// <summary>Session grains active on this silo now.</summary>
    public int Count => _active.Count;

    public bool IsActive(string sessionId) => _active.ContainsKey(sessionId);

    internal void Activated(string sessionId) => _active.AddOrUpdate(sessionId, 1, (_, n) => n + 1);

    internal void Deactivated(string sessionId)
    {
        while (_active.TryGetValue(sessionId, out var n))
        {
            if (n <= 1
                ? _active.TryRemove(KeyValuePair.Create(sessionId, n))
                : _active.TryUpdate(sessionId, n - 1, n))
            {
                return;
            }
        }
    }
}
