using System.Diagnostics;
using System.Diagnostics.Metrics;
using PaySessions.Grains.Sessions.Events;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// What happened to sessions and payments, counted when the events that say so are committed
/// (never when they are only decided): meter <c>PaySessions.Sessions</c>.
/// <list type="bullet">
/// <item><c>paysessions.sessions.created</c>, <c>.completed</c>, <c>.expired</c>, <c>.canceled</c>,
/// tagged <c>dialect</c> (<c>payviox</c> or <c>xendit</c>); expiries written in bulk count too.</item>
/// <item><c>paysessions.payment.attempts</c>, tagged <c>provider</c> and <c>outcome</c>:
/// <c>initiated</c> when an attempt starts, then <c>succeeded</c>, <c>failed</c>, <c>mismatched</c>
/// (paid in other figures) or <c>late</c> (paid after the session ended).</item>
/// </list>
/// </summary>
public static class SessionMetrics
{
    public const string MeterName = "PaySessions.Sessions";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Created = Meter.CreateCounter<long>(
        "paysessions.sessions.created", "{session}", "Sessions created, by dialect.");

    private static readonly Counter<long> CompletedSessions = Meter.CreateCounter<long>(
        "paysessions.sessions.completed", "{session}", "Sessions completed by a payment, by dialect.");

    private static readonly Counter<long> ExpiredSessions = Meter.CreateCounter<long>(
        "paysessions.sessions.expired", "{session}", "Sessions expired unpaid, by dialect.");

    private static readonly Counter<long> CanceledSessions = Meter.CreateCounter<long>(
        "paysessions.sessions.canceled", "{session}", "Sessions canceled by their merchant, by dialect.");

    private static readonly Counter<long> Attempts = Meter.CreateCounter<long>(
        "paysessions.payment.attempts", "{attempt}", "Payment attempts by provider and outcome (initiated, succeeded, failed, mismatched, late).");

    /// <summary>Counts the events of one committed append; <paramref name="session"/> is the state after them.</summary>
    public static void Committed(PaymentSessionState session, IReadOnlyList<PaymentSessionEvent> events)
    {
        var dialect = DialectTag(session.Facts?.Dialect ?? SessionDialect.Payviox);
        foreach (var @event in events)
        {
            switch (@event)
            {
                case Events.Created:
                    Created.Add(1, dialect);
                    break;
                case PaymentInitiated e:
                    Attempt(e.Provider, "initiated");
                    break;
                case PaymentFailed e:
                    Attempt(e.Provider, "failed");
                    break;
                case Completed e:
                    Attempt(e.Provider, "succeeded");
                    CompletedSessions.Add(1, dialect);
                    break;
                case PaymentMismatch e:
                    Attempt(e.Provider, "mismatched");
                    break;
                case LatePaymentReceived e:
                    Attempt(e.Provider, "late");
                    break;
                case Expired:
                    ExpiredSessions.Add(1, dialect);
                    break;
                case Canceled:
                    CanceledSessions.Add(1, dialect);
                    break;
            }
        }
    }

    /// <summary>Sessions the event store expired in bulk, without their grains; the id tells the dialect.</summary>
    public static void ExpiredInBulk(IEnumerable<string> sessionIds)
    {
        foreach (var id in sessionIds)
        {
            ExpiredSessions.Add(1, DialectTag(SessionIds.IsXendit(id) ? SessionDialect.Xendit : SessionDialect.Payviox));
        }
    }

    private static void Attempt(string provider, string outcome) =>
        Attempts.Add(1, new TagList { { "provider", provider }, { "outcome", outcome } });

    private static KeyValuePair<string, object?> DialectTag(SessionDialect dialect) =>
        new("dialect", dialect == SessionDialect.Xendit ? "xendit" : "payviox");
}
