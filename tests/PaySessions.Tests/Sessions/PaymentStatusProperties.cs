using FsCheck;
using FsCheck.Fluent;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// The payment status of <c>GET /payment/{session_id}</c> over random lives of a session: payments
/// with two methods, provider reports (declines, successes in the right or wrong figures, for any
/// attempt, repeated), cancels and expiry, decided as the grain decides them (the report decider
/// itself). Each life's status is compared with <see cref="Expected"/>, the documented mapping
/// written over the event list, independent of the folded state the service reads.
/// </summary>
public sealed class PaymentStatusProperties
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    public abstract record Move;

    public sealed record Pay(int Method) : Move;

    public sealed record Report(int Attempt, bool Succeeded, bool RightFigures) : Move;

    public sealed record Cancel : Move;

    public sealed record Expire : Move;

    [Fact]
    public void The_status_is_what_the_events_say_whatever_happened()
    {
        var move = Gen.Frequency(
            [
            (4, Gen.Choose(0, 1).Select(m => (Move)new Pay(m))),
            (5, from attempt in Gen.Choose(0, 3)
                from succeeded in Gen.Elements(true, false)
                from right in Gen.Frequency((3, Gen.Constant(true)), (1, Gen.Constant(false)))
                select (Move)new Report(attempt, succeeded, right)),
            (1, Gen.Constant((Move)new Cancel())),
            (1, Gen.Constant((Move)new Expire())),
            ]);
        var lives = Arb.From(Gen.ListOf(move).Select(m => m.ToList()));

        var property = Prop.ForAll(lives, moves =>
        {
            var (state, events) = Live(moves);
            var details = PaymentStatuses.Details(state);
            var counted = CountedAttempt(events);
            return details.Status == Expected(events)
                && details.PaymentMethodId == counted?.PaymentMethodId
                && details.PayerIp == counted?.PayerIp
                && details.PayerUserAgent == counted?.PayerUserAgent
                && details.PaymentDetails == events.OfType<Completed>().SingleOrDefault()?.PaymentDetails;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500).WithEndSize(25), property);
    }

    [Fact]
    public void A_session_with_no_attempt_has_no_status_until_it_ends()
    {
        var (open, _) = Live([]);
        var (canceled, _) = Live([new Cancel()]);
        var (expired, _) = Live([new Expire()]);

        Assert.Null(PaymentStatuses.Of(open));
        Assert.Equal(PaymentStatus.Canceled, PaymentStatuses.Of(canceled));
        Assert.Equal(PaymentStatus.Expired, PaymentStatuses.Of(expired));
    }

    // The documented mapping, read off the events: paid wins, then the session's end, then the
    // latest attempt's own outcome.
    private static PaymentStatus? Expected(List<PaymentSessionEvent> events)
    {
        if (events.OfType<Completed>().Any())
        {
            return PaymentStatus.Succeeded;
        }

        if (events.OfType<Canceled>().Any())
        {
            return PaymentStatus.Canceled;
        }

        if (events.OfType<Expired>().Any())
        {
            return PaymentStatus.Expired;
        }

        if (events.OfType<PaymentInitiated>().LastOrDefault() is not { } latest)
        {
            return null;
        }

        var outcome = events.LastOrDefault(e =>
            (e is PaymentFailed f && f.ProviderReference == latest.ProviderReference)
            || (e is PaymentMismatch m && m.ProviderReference == latest.ProviderReference));
        return outcome switch
        {
            PaymentFailed => PaymentStatus.Failed,
            PaymentMismatch => PaymentStatus.PendingReview,
            _ => PaymentStatus.Pending,
        };
    }

    // The attempt whose payer is shown: the one that paid, else the latest.
    private static PaymentInitiated? CountedAttempt(List<PaymentSessionEvent> events) =>
        events.OfType<Completed>().SingleOrDefault() is { } paid
            ? events.OfType<PaymentInitiated>().Single(i => i.ProviderReference == paid.ProviderReference)
            : events.OfType<PaymentInitiated>().LastOrDefault();

    // Plays the moves as the grain would: only an open session takes a payment, a cancel or an
    // expiry; paying again with a method whose attempt is pending is that attempt; reports are
    // decided by the grain's own decider.
    private static (PaymentSessionState State, List<PaymentSessionEvent> Events) Live(List<Move> moves)
    {
        var state = new PaymentSessionState();
        var events = new List<PaymentSessionEvent>();
        var at = Start;
        void Raise(PaymentSessionEvent e)
        {
            state.Apply(e);
            events.Add(e);
        }

        Raise(Infrastructure.TestSessions.CreatedEvent("biz_status", "order_status", at));
        foreach (var move in moves)
        {
            at = at.AddMinutes(1);
            switch (move)
            {
                case Pay pay when state.IsOpen:
                    var method = pay.Method == 0 ? "sandbox_card" : "sandbox_wallet";
                    if (state.Attempts.Exists(a => a.PaymentMethodId == method && a.State == AttemptState.Pending))
                    {
                        break;
                    }

                    var n = state.Attempts.Count + 1;
                    Raise(new PaymentInitiated
                    {
                        EventId = Guid.NewGuid(),
                        OccurredAt = at,
                        PaymentMethodId = method,
                        Provider = "sandbox",
                        ProviderReference = "ref_" + n,
                        Amount = state.Facts!.Amount,
                        Currency = state.Facts.Currency,
                        PayerIp = "198.51.100." + n,
                        PayerUserAgent = n % 2 == 0 ? null : "agent " + n,
                    });
                    break;
                case Report report when state.Attempts.Count > 0:
                    var attempt = state.Attempts[report.Attempt % state.Attempts.Count];
                    var (_, decided) = PaymentReports.Decide(
                        state,
                        new ProviderPaymentReport(
                            "sandbox", attempt.Reference, report.Succeeded, "pay_" + attempt.Reference, report.Succeeded ? null : "declined",
                            report.RightFigures ? attempt.Amount : attempt.Amount + 1, attempt.Currency,
                            PaymentDetails: new ProviderPaymentDetails { Type = "card", Card = new ProviderCard { Last4 = "4242" } }),
                        at);
                    if (decided is not null)
                    {
                        Raise(decided);
                    }

                    break;
                case Cancel when state.IsOpen:
                    Raise(new Canceled { EventId = Guid.NewGuid(), OccurredAt = at });
                    break;
                case Expire when state.IsOpen:
                    Raise(new Expired { EventId = Guid.NewGuid(), OccurredAt = at });
                    break;
            }
        }

        return (state, events);
    }
}
