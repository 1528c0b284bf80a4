using System.Security.Cryptography;
using System.Text;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// The idempotency key of one payment attempt, derived rather than drawn: the same session,
/// attempt number (from the durable log) and method give the same key on every try, across
/// retries, activations and silos, so a provider that honours idempotency keys creates one
/// payment per attempt at most. The method is part of it because a provider refuses one key
/// reused with other parameters; a customer who switches methods starts a distinct request.
/// </summary>
public static class AttemptKeys
{
    public static string For(string sessionId, int attempt, string paymentMethodId)
    {
        var material = Encoding.UTF8.GetBytes($"{sessionId}/{attempt}/{paymentMethodId}");
        return "att_" + Convert.ToHexStringLower(SHA256.HashData(material))[..32];
    }
}
