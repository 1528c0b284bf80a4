using Microsoft.Extensions.Logging;
using PaySessions.Api.Http;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.RateLimits;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.Core;

/// <summary>
/// What a dialect asks for once it has parsed its body: the session grain's command, and the
/// payment method to start at once (a direct redirect), when the merchant named one.
/// </summary>
public sealed record NewSession(CreateSession Session, string? PaymentMethodId = null)
{
    /// <summary>
    /// What the dialect must write before the session itself (the Xendit dialect records the
    /// customer a session names), run only once every refusal that needs no write has passed: the
    /// rate limits, the direct-redirect method and the rules of money and time. It answers the
    /// command to create (e.g. with the customer's id) or a refusal of its own; null: nothing to do.
    /// </summary>
    public SessionPreparation? Prepare { get; init; }

    /// <summary>
    /// The payer's browser, recorded on a direct redirect's attempt (with the session's end-user
    /// address); null when the caller is not the payer's browser (a merchant's server).
    /// </summary>
    public string? PayerUserAgent { get; init; }
}

/// <summary>See <see cref="NewSession.Prepare"/>.</summary>
public delegate Task<PreparedSession> SessionPreparation(CreateSession command, CancellationToken cancellationToken);

/// <summary>The command to create, or why not (<see cref="Refusal"/>, and then nothing was written).</summary>
public sealed record PreparedSession(CreateSession? Session, CreateOutcome? Refusal)
{
    public static PreparedSession Ready(CreateSession session) => new(session, null);

    public static PreparedSession Refused(CreateOutcome refusal) => new(null, refusal);
}

/// <summary>How a create ended. Each dialect renders every case in its own shape; none of the refusals wrote anything.</summary>
public abstract record CreateOutcome
{
    private CreateOutcome()
    {
    }

    /// <summary>
    /// The session exists. <paramref name="Payment"/> is the direct redirect's answer when the
    /// provider was asked (initiated, or the provider's error): the session stands either way.
    /// </summary>
    public sealed record Created(PaymentSessionSnapshot Session, InitiatePaymentResult? Payment) : CreateOutcome;

    /// <summary>A rule of money or time refused it (the grain's, see <c>MoneyRules</c>): which field, which rule.</summary>
    public sealed record Rejected(SessionRuleViolation Violation) : CreateOutcome;

    /// <summary>Over the end user's address limit or the customer's; ask again after <paramref name="RetryAfterSeconds"/>.</summary>
    public sealed record RateLimited(RateLimitScope Scope, int RetryAfterSeconds) : CreateOutcome;

    /// <summary>
    /// The business already has a session for this order id (Payviox's order_id; a Xendit-style
    /// reference_id is not unique, see deploy/sql/0010_xendit_reference_not_unique.sql).
    /// </summary>
    public sealed record DuplicateReference : CreateOutcome;

    /// <summary>The payment method named for a direct redirect is not one the business offers for this session.</summary>
    public sealed record MethodNotFound(string PaymentMethodId) : CreateOutcome;

    /// <summary>
    /// The customer reference the session names is already recorded for this business with other
    /// details (a merchant reference names one customer; it is reused only as it was first given).
    /// </summary>
    public sealed record CustomerConflict(string CustomerReference) : CreateOutcome;

    /// <summary>The freshly minted session id already held a session (128 random bits: not expected to happen).</summary>
    public sealed record SessionIdTaken(string Message) : CreateOutcome;
}

/// <summary>
/// The one create path under every dialect: the rate limits, then the payment method of a
/// direct redirect, then (for a dialect that writes first, see <see cref="NewSession.Prepare"/>)
/// the rules of money and time asked ahead and the dialect's own write, then the session grain's
/// Create (which judges the rules of money and time), then the redirect itself. A request refused
/// at any step up to the dialect's write writes nothing. It holds no rule of its own about money,
/// state or time: those are the grain's. Session ids take the shape of the command's dialect.
/// </summary>
public sealed partial class SessionCreator(IGrainFactory grains, ILogger<SessionCreator> logger)
{
    // One warning per interval at most while limiters are unreachable: a failover lets through
    // hundreds of creates a second, and the counter already counts each of them.
    private static readonly long WarningIntervalMs = (long)TimeSpan.FromSeconds(10).TotalMilliseconds;
    private long _nextWarningAt = long.MinValue;
    private long _failedOpenSinceWarning;

    public async Task<CreateOutcome> Create(NewSession request, CancellationToken cancellationToken)
    {
        var command = request.Session;

        // Nothing is written before the session grain's Create, so the steps up to it may be
        // retried after a transient failure; Create itself is not (it may have committed).
        if (await TransientFailures.RetryAsync(() => CheckRateLimits(command), cancellationToken) is { } limited)
        {
            return limited;
        }

        AvailablePaymentMethod? method = null;
        if (request.PaymentMethodId is { } methodId)
        {
            var available = await TransientFailures.RetryAsync(
                () => grains.Get<IBusinessGrain>(command.BusinessId).GetAvailablePaymentMethods(command.Currency, command.Amount, command.Livemode),
                cancellationToken);
            method = available.FirstOrDefault(m => m.Id == methodId);
            if (method is null)
            {
                return new CreateOutcome.MethodNotFound(methodId);
            }
        }

        if (request.Prepare is { } prepare)
        {
            // The dialect writes only for a command the session grain would take: the same rules,
            // asked ahead (the grain judges again; a refusal here and there are the same).
            var violation = await TransientFailures.RetryAsync(() => grains.CheckSessionRules(command), cancellationToken);
            if (violation is not null)
            {
                return new CreateOutcome.Rejected(violation);
            }

            var prepared = await prepare(command, cancellationToken);
            if (prepared.Session is null)
            {
                return prepared.Refusal ?? throw new InvalidOperationException("A preparation answered neither a command nor a refusal.");
            }

            command = prepared.Session;
        }

        var (sessionId, result) = await CreateSession(command, cancellationToken);
        switch (result.Rejection)
        {
            case CreateSessionRejection.None:
                break;
            case CreateSessionRejection.DuplicateOrderId:
                return new CreateOutcome.DuplicateReference();
            case CreateSessionRejection.Invalid when result.Violation is { } violation:
                return new CreateOutcome.Rejected(violation);
            default:
                return new CreateOutcome.SessionIdTaken(result.Message ?? "The session could not be created.");
        }

        // Direct redirect: a redirect method starts the payment at once. The session exists
        // whatever the provider answers, so a failure is reported beside it.
        InitiatePaymentResult? payment = null;
        if (method is { Kind: PaymentMethodKind.Redirect })
        {
            var initiated = await grains.InitiatePayment(sessionId, new InitiatePayment(method.Id, command.ClientIp, request.PayerUserAgent));
            if (initiated.Outcome is InitiatePaymentOutcome.Initiated or InitiatePaymentOutcome.ProviderError)
            {
                payment = initiated;
            }
        }

        return new CreateOutcome.Created(result.Session!, payment);
    }

    /// <summary>
    /// The session grain's Create, tried again while a silo's death gets in its way:
    /// <list type="bullet">
    /// <item>When Orleans proves the call never reached a grain (<see cref="TransientFailures.WasNotDelivered"/>:
    /// typically, before a silo that just died is declared dead, placing the new grain there or
    /// looking up the directory partition it held), nothing was written, and the create is tried
    /// under another fresh id (another directory partition, another placement). The client never
    /// saw the first id.</item>
    /// <item>When the silo the call had reached died (<c>SiloUnavailableException</c>, thrown once the
    /// membership has declared it dead), the session may have been written: the create is tried
    /// again under the same id, now activated on a survivor, and from then on only that id is
    /// used. If the first try had written it, the grain answers that the session exists, and that
    /// session (128 random bits of id: only this request can have made it) is the answer.</item>
    /// </list>
    /// A timeout is not repeated: the call may still be running, and the request has waited long
    /// enough; the client, told 503, may repeat it with its <c>Idempotency-Key</c>.
    /// </summary>
    private async Task<(string SessionId, CreateSessionResult Result)> CreateSession(CreateSession command, CancellationToken cancellationToken)
    {
        var sessionId = SessionIds.NewFor(command.Dialect);
        var mayExist = false;
        for (var attempt = 1; ; attempt++)
        {
            var grain = grains.Get<IPaymentSessionGrain>(sessionId);
            try
            {
                var result = await grain.Create(command);
                if (mayExist && result.Rejection == CreateSessionRejection.SessionExists
                    && await grain.GetSnapshot() is { } written && written.BusinessId == command.BusinessId && written.OrderId == command.OrderId)
                {
                    return (sessionId, CreateSessionResult.Ok(written));
                }

                return (sessionId, result);
            }
            catch (Exception e) when (attempt < CreateAttempts && !cancellationToken.IsCancellationRequested && CanRetry(e))
            {
                if (TransientFailures.WasNotDelivered(e) && !mayExist)
                {
                    sessionId = SessionIds.NewFor(command.Dialect);
                }
                else
                {
                    mayExist = true;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), cancellationToken);
            }
        }

        static bool CanRetry(Exception e) => TransientFailures.WasNotDelivered(e) || TransientFailures.WasCutOffByASiloDeath(e);
    }

    /// <summary>Tries in all of a create that a silo's death got in the way of (see <see cref="CreateSession(CreateSession, CancellationToken)"/>).</summary>
    private const int CreateAttempts = 5;

    // The IP limit counts the end user's address (each dialect decides which address that is;
    // never the merchant server's, which serves everyone), then the customer of the business.
    private async Task<CreateOutcome?> CheckRateLimits(CreateSession command)
    {
        if (command.ClientIp is { } ip)
        {
            var byIp = await TryAcquire(RateLimitKeys.ForIp(ip), RateLimitScope.Ip);
            if (!byIp.Allowed)
            {
                ApiMetrics.RateLimited(RateLimitScope.Ip);
                return new CreateOutcome.RateLimited(RateLimitScope.Ip, byIp.RetryAfterSeconds);
            }
        }

        var byCustomer = await TryAcquire(RateLimitKeys.ForCustomer(command.BusinessId, command.Customer), RateLimitScope.Customer);
        if (byCustomer.Allowed)
        {
            return null;
        }

        ApiMetrics.RateLimited(RateLimitScope.Customer);
        return new CreateOutcome.RateLimited(RateLimitScope.Customer, byCustomer.RetryAfterSeconds);
    }

    /// <summary>
    /// A limiter that cannot be reached (its silo just died and is not yet declared dead, or its
    /// call timed out) lets the request through rather than fail it: a limit is a brake on abuse,
    /// and losing it for the seconds a failover takes costs less than refusing every create of
    /// the customers whose limiter lived on the dead silo. The limiter is back on the survivors
    /// as soon as the membership has moved on. Operators see it: <c>paysessions.rate_limit.fail_open</c> counts each request let through
    /// so, and a warning is logged at most every 10 s while it lasts.
    /// </summary>
    private async Task<RateLimitDecision> TryAcquire(string key, RateLimitScope scope)
    {
        try
        {
            return await grains.Get<IRateLimiterGrain>(key).TryAcquire();
        }
        catch (Exception e) when (TransientFailures.IsTransient(e))
        {
            ApiMetrics.RateLimitFailedOpen(scope);
            WarnFailedOpen(scope, e);
            return RateLimitDecision.Allow;
        }
    }

    private void WarnFailedOpen(RateLimitScope scope, Exception failure)
    {
        Interlocked.Increment(ref _failedOpenSinceWarning);
        var now = Environment.TickCount64;
        var due = Interlocked.Read(ref _nextWarningAt);
        if (now < due || Interlocked.CompareExchange(ref _nextWarningAt, now + WarningIntervalMs, due) != due)
        {
            return;
        }

        var count = Interlocked.Exchange(ref _failedOpenSinceWarning, 0);
        LogFailedOpen(logger, scope == RateLimitScope.Ip ? "ip" : "customer", count, failure.GetType().Name, failure.Message);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "A rate limiter ({Limit}) could not be reached, so the limit was not applied: {Count} request(s) let through unlimited since the last warning (last failure: {Failure}: {Detail})")]
    private static partial void LogFailedOpen(ILogger logger, string limit, long count, string failure, string detail);
}
