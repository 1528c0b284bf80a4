using PaySessions.Grains.Payments;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Sessions.Xendit;

namespace PaySessions.Grains.Sessions;

/// <summary>The decider for provider reports: state and report in, outcome and event (if any) out; no I/O.</summary>
public static class PaymentReports
{
    /// <summary>
    /// What a provider's report means for the session, decided from its state alone. Money is
    /// checked before it counts: a success completes the session only when the amount and currency
    /// reported are exactly what its attempt asked for. Other figures are a <see cref="PaymentMismatch"/>
    /// (the attempt is settled, the session stays open for a correct payment); any success after
    /// the end is a <see cref="LatePaymentReceived"/> with both figures. Both are kept for refund.
    /// A SAVE session asks for no money: it completes with the payment token the provider saved,
    /// a success that saved none is a failed attempt, and money reported for it is a mismatch
    /// (late money a late payment) like any other, never kept silently.
    /// A completion records its fee once, from the schedule <paramref name="fees"/> holds for the
    /// attempt's method at that moment, on the attempt's own amount and currency: later schedule
    /// changes never move it (null when no schedule source is given or the method is gone).
    /// </summary>
    public static (PaymentReportOutcome Outcome, PaymentSessionEvent? Event) Decide(
        PaymentSessionState state, ProviderPaymentReport report, DateTimeOffset now, IFeeSchedules? fees = null,
        LatePaymentPolicy policy = LatePaymentPolicy.Refund)
    {
        var attempt = state.Attempt(report.Provider, report.ProviderReference);
        if (attempt is null)
        {
            return (PaymentReportOutcome.UnknownReference, null);
        }

        if (!report.Succeeded)
        {
            // A decline for an attempt already decided, or for an ended session, changes nothing.
            return attempt.State != AttemptState.Pending || !state.IsOpen
                ? (PaymentReportOutcome.Duplicate, null)
                : (PaymentReportOutcome.FailureRecorded, Failed(report, now, report.Reason));
        }

        var paymentId = report.ProviderPaymentId ?? report.ProviderReference;
        var alreadyRecorded =
            (state.Payment is { } payment && payment.Provider == report.Provider && payment.ProviderPaymentId == paymentId)
            || state.LatePayments.Exists(l => l.Provider == report.Provider && l.ProviderPaymentId == paymentId)
            || state.Mismatches.Exists(m => m.Provider == report.Provider && m.ProviderPaymentId == paymentId);
        if (alreadyRecorded)
        {
            return (PaymentReportOutcome.Duplicate, null);
        }

        if (state.Facts?.SessionType == SessionType.Save && report.Amount is not > 0)
        {
            return DecideSave(state, attempt, report, paymentId, now);
        }

        if (!state.IsOpen)
        {
            var handling = LatePaymentRules.Handling(state, attempt, report, policy);
            return (PaymentReportOutcome.LatePaymentRecorded, new LatePaymentReceived
            {
                EventId = Guid.NewGuid(),
                OccurredAt = now,
                Provider = report.Provider,
                ProviderReference = report.ProviderReference,
                ProviderPaymentId = paymentId,
                Amount = report.Amount,
                Currency = report.Currency,
                ExpectedAmount = attempt.Amount,
                ExpectedCurrency = attempt.Currency,
                Policy = policy,
                Handling = handling,
                RefundId = handling == LatePaymentPolicy.Refund ? LatePaymentRules.RefundIdFor(report.Provider, paymentId) : null,
            });
        }

        if (report.Amount != attempt.Amount || !string.Equals(report.Currency, attempt.Currency, StringComparison.Ordinal))
        {
            return (PaymentReportOutcome.MismatchRecorded, new PaymentMismatch
            {
                EventId = Guid.NewGuid(),
                OccurredAt = now,
                Provider = report.Provider,
                ProviderReference = report.ProviderReference,
                ProviderPaymentId = paymentId,
                Amount = report.Amount ?? 0,
                Currency = report.Currency ?? "",
                ExpectedAmount = attempt.Amount,
                ExpectedCurrency = attempt.Currency,
            });
        }

        return (PaymentReportOutcome.Completed, new Completed
        {
            EventId = Guid.NewGuid(),
            OccurredAt = now,
            Provider = report.Provider,
            ProviderPaymentId = paymentId,
            ProviderReference = report.ProviderReference,
            PaymentId = state.Facts?.Dialect == SessionDialect.Xendit ? XenditIds.NewPaymentId() : null,
            PaymentTokenId = report.PaymentTokenId,
            CustomerDetails = report.CustomerDetails,
            PaymentDetails = report.PaymentDetails,
            Fees = FeeOf(attempt, fees),
        });
    }

    /// <summary>
    /// <see cref="Decide"/> with the business's late-payment policy applied: the events to append
    /// together. A late payment the policy accepts is its <see cref="LatePaymentReceived"/>
    /// followed by <see cref="LatePaymentAccepted"/>, which completes the session with this
    /// payment's facts and a fee computed as for a normal completion; every other outcome is
    /// <see cref="Decide"/>'s one event (or none).
    /// </summary>
    public static (PaymentReportOutcome Outcome, IReadOnlyList<PaymentSessionEvent> Events) DecideWithPolicy(
        PaymentSessionState state, ProviderPaymentReport report, DateTimeOffset now, LatePaymentPolicy policy, IFeeSchedules? fees = null)
    {
        var (outcome, @event) = Decide(state, report, now, fees, policy);
        if (@event is LatePaymentReceived { Handling: LatePaymentPolicy.Accept } late && state.Attempt(late.Provider, late.ProviderReference) is { } attempt)
        {
            return (outcome, [late, new LatePaymentAccepted
            {
                EventId = Guid.NewGuid(),
                OccurredAt = now,
                Provider = late.Provider,
                ProviderReference = late.ProviderReference,
                ProviderPaymentId = late.ProviderPaymentId,
                PaymentId = state.Facts?.Dialect == SessionDialect.Xendit ? XenditIds.NewPaymentId() : null,
                Fees = FeeOf(attempt, fees),
                CustomerDetails = report.CustomerDetails,
                PaymentDetails = report.PaymentDetails,
            }]);
        }

        return (outcome, @event is null ? [] : [@event]);
    }

    // No fact of a session says its customer is a company (the Payviox create has no such field,
    // and Xendit-style customers are INDIVIDUAL only), so a completion charges the regular schedule.
    private static PaymentFailed Failed(ProviderPaymentReport report, DateTimeOffset now, string? reason) => new()
    {
        EventId = Guid.NewGuid(),
        OccurredAt = now,
        Provider = report.Provider,
        ProviderReference = report.ProviderReference,
        Reason = reason,
    };

    private static long? FeeOf(PaymentAttempt attempt, IFeeSchedules? fees) =>
        fees?.ScheduleOf(attempt.PaymentMethodId, isCompany: false) is { } schedule
            ? PaymentFees.Compute(schedule, attempt.Amount, attempt.Currency)
            : null;

    // A success that moved no money, for a session that asked for none.
    private static (PaymentReportOutcome, PaymentSessionEvent?) DecideSave(
        PaymentSessionState state, PaymentAttempt attempt, ProviderPaymentReport report, string paymentId, DateTimeOffset now)
    {
        if (!state.IsOpen)
        {
            // A method saved after the end: no money to give back, and nothing left to complete.
            return (PaymentReportOutcome.Ignored, null);
        }

        if (report.PaymentTokenId is null)
        {
            // "Succeeded" without a token saved nothing: the attempt failed, the session stays open.
            return attempt.State != AttemptState.Pending
                ? (PaymentReportOutcome.Duplicate, null)
                : (PaymentReportOutcome.FailureRecorded, Failed(report, now, "no_payment_token"));
        }

        return (PaymentReportOutcome.Completed, new Completed
        {
            EventId = Guid.NewGuid(),
            OccurredAt = now,
            Provider = report.Provider,
            ProviderPaymentId = paymentId,
            ProviderReference = report.ProviderReference,
            PaymentTokenId = report.PaymentTokenId,
            CustomerDetails = report.CustomerDetails,
            PaymentDetails = report.PaymentDetails,
        });
    }
}
