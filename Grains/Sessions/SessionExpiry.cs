using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Sessions.Xendit;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// An Expired ready to append without the session's grain: the event, the projection row and the
/// merchant webhook it causes, built from the session's folded state with the code the grain's own
/// append uses (<see cref="SessionProjection.Of"/>, <see cref="SessionWebhooks.For"/>), so that the
/// rows are the same whichever path writes them. It holds only if the stream is still at
/// <see cref="ExpectedVersion"/> when it is written.
/// </summary>
public sealed record ExpiryAppend(string SessionId, int ExpectedVersion, Expired Event, SessionProjection Projection, OutboundWebhook? Webhook);

/// <summary>The decision a bulk expiry takes for one session, with no I/O: the same rule as the grain's <c>ExpireIfDue</c>.</summary>
public static class SessionExpiry
{
    /// <summary>
    /// The Expired for a session folded into <paramref name="state"/> at <paramref name="version"/>,
    /// when it is open and due at <paramref name="now"/>; null otherwise. <paramref name="links"/>
    /// makes the hosted-page address a Xendit-style webhook body holds (the grain passes its own).
    /// </summary>
    public static ExpiryAppend? Decide(string sessionId, PaymentSessionState state, int version, DateTimeOffset now, PaymentLinks? links)
    {
        if (!state.IsDue(now))
        {
            return null;
        }

        var expired = new Expired { EventId = Guid.NewGuid(), OccurredAt = now };
        var after = state.Copy();
        after.Apply(expired);
        var next = version + 1;
        return new ExpiryAppend(sessionId, version, expired, SessionProjection.Of(sessionId, after, next), SessionWebhooks.For(sessionId, after, expired, next, links));
    }
}
