using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using PaySessions.Grains.Sessions;

namespace PaySessions.Grains.Payments;

/// <summary>
/// Runs a payment initiation in three steps, so the provider's call happens outside the session
/// grain's turn: the session reserves the attempt (a quick turn), the provider is called here,
/// the session records the answer (another quick turn). Between them the session answers reads,
/// reports and cancels as usual; a second initiation is refused while the lease holds.
/// Stateless and reentrant: one activation waits on many providers at once, and none of them
/// holds up another.
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed partial class PaymentInitiatorGrain(
    PaymentProviders providers,
    TimeProvider clock,
    ILogger<PaymentInitiatorGrain> logger)
    : Grain, IPaymentInitiatorGrain
{
    public async Task<InitiatePaymentResult> Initiate(string sessionId, InitiatePayment command)
    {
        var session = GrainFactory.GetGrain<IPaymentSessionGrain>(sessionId);
        var reservation = await session.ReserveAttempt(command);
        if (reservation.Answer is { } answer)
        {
            return answer;
        }

        var recorded = false;
        try
        {
            var started = await CallProvider(sessionId, reservation);
            if (!started.Succeeded)
            {
                LogProviderRefused(logger, reservation.Provider, started.ErrorType ?? "error");
                return new InitiatePaymentResult(InitiatePaymentOutcome.ProviderError, Message: started.ErrorMessage, ErrorType: started.ErrorType);
            }

            var result = await session.RecordAttempt(new StartedAttempt(
                reservation.Lease, reservation.Attempt, reservation.PaymentMethodId, reservation.Provider, started.Reference!, started.RedirectUrl,
                command.PayerIp, command.PayerUserAgent));
            recorded = true;
            return result;
        }
        finally
        {
            // Whatever happened short of recording, the slot is freed now rather than at the
            // lease's end; nothing was appended, and the next try derives the same key.
            if (!recorded)
            {
                await session.ReleaseAttempt(reservation.Lease);
            }
        }
    }

    private async Task<ProviderInitiation> CallProvider(string sessionId, AttemptReservation reservation)
    {
        if (providers.Find(reservation.Provider) is not { } provider)
        {
            return ProviderInitiation.Failed("Payment method not available", "provider_unavailable");
        }

        // The provider may not outlive the lease: past it, another initiation may take the slot.
        var remaining = reservation.LeaseUntil - clock.GetUtcNow();
        using var lease = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, clock);
        try
        {
            return await provider.InitiateAsync(
                new ProviderPaymentRequest(
                    sessionId, reservation.PaymentMethodId, reservation.Amount, reservation.Currency, reservation.Description, reservation.AttemptKey,
                    reservation.SessionType),
                lease.Token);
        }
        catch (OperationCanceledException) when (lease.IsCancellationRequested)
        {
            return ProviderInitiation.Failed("The payment provider did not answer in time", "timeout");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider} refused a payment: {ErrorType}")]
    private static partial void LogProviderRefused(ILogger logger, string provider, string errorType);
}
