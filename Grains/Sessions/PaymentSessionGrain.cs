using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.EventSourcing;
using Orleans.EventSourcing.CustomStorage;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// One payment session: the only writer of its event log. Every command decides from the
/// confirmed state, then appends; nothing is answered before the append is durable. The states:
/// Created → PaymentInitiated (again after a decline) → Completed | Expired | Canceled, the last
/// three final. A session past its time is expired by whichever comes first: the expiry sweep,
/// or any command or read that finds it due. No turn of this grain waits on a provider: a payment
/// is initiated in three quick steps driven by <see cref="PaymentInitiatorGrain"/> (reserve the
/// attempt, the provider's call outside, record it), so reads never queue behind a slow provider.
/// <para>
/// Its log-consistency provider is the silo's default one (CustomStorage, registered under
/// <see cref="StorageNames.SessionEvents"/> by the silo's setup), not named by a
/// <c>[LogConsistencyProvider]</c> attribute: Orleans reads that attribute afresh on every
/// activation, and building the attribute object each time emitted a throw-away dynamic method
/// whose finalization took more CPU than the rest of a create (see bench/create/README.md).
/// </para>
/// </summary>
public sealed partial class PaymentSessionGrain(
    IEventStore store,
    IWebhookOutbox outbox,
    PaymentProviders providers,
    PaymentMethodCatalog catalog,
    Xendit.PaymentLinks links,
    TimeProvider clock,
    IOptions<PaymentSessionOptions> options,
    SessionActivations activations,
    ILogger<PaymentSessionGrain> logger)
    : JournaledGrain<PaymentSessionState, PaymentSessionEvent>,
      IPaymentSessionGrain,
      ICustomStorageInterface<PaymentSessionState, PaymentSessionEvent>,
      IIncomingGrainCallFilter
{
    // A conditional append is refused only when another writer moved the log first; deciding again
    // from the fresh state settles it. More conflicts than this in a row mean something is wrong.
    private const int MaxDecisions = 3;

    // The log as stored, kept beside the folded state so reads need no query.
    private List<SessionEventRecord> _log = [];

    // State this activation itself just wrote outside the adaptor (see Create), handed to the
    // adaptor's next read so that it need not fetch rows it already holds.
    private KeyValuePair<int, PaymentSessionState>? _handoff;

    // True until this activation has read its stream (or written its first event itself): the
    // adaptor's read on activation is answered from memory (an empty log) and the real read waits
    // for the first call that needs it (see Invoke and Create).
    private bool _readDeferred = true;

    // The session's one payment initiation in flight, held in memory only: if the activation is
    // lost, the next initiation starts the same attempt again with the same derived key.
    private Initiation? _initiation;

    private string SessionId => this.GetPrimaryKeyString();

    // JournaledGrain waits for a read here; this grain reads when a call needs it (see Invoke).
    // The silo's list of active sessions learns of it, so the expiry sweep leaves it to this grain.
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        activations.Activated(SessionId);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        activations.Deactivated(SessionId);
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>
    /// Loads the stream before any call but Create. Create on an activation that has not read yet
    /// goes ahead without reading (a new id, almost always) and reads only when the answer needs it.
    /// </summary>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (_readDeferred && !IsCreate(context))
        {
            await LoadStream();
        }

        await context.Invoke();
    }

    public async Task<CreateSessionResult> Create(CreateSession command)
    {
        var now = clock.GetUtcNow();
        var expiresAt = command.ExpiresAt ?? now + options.Value.Expiry;
        var problem = MoneyRules.Check(command, now, expiresAt);

        // An existing session is answered as such before the command is judged: an invalid
        // command needs the stream read to tell which answer is due.
        if (problem is not null && _readDeferred)
        {
            await LoadStream();
        }

        if (State.Exists)
        {
            return CreateSessionResult.Rejected(CreateSessionRejection.SessionExists, "The session already exists.");
        }

        if (problem is not null)
        {
            return CreateSessionResult.Invalid(problem);
        }

        var created = new Created
        {
            EventId = Guid.NewGuid(),
            OccurredAt = now,
            BusinessId = command.BusinessId,
            OrderId = command.OrderId,
            Customer = command.Customer,
            Amount = command.Amount,
            Currency = command.Currency,
            Items = [.. command.Items],
            Description = command.Description,
            Metadata = new Dictionary<string, string>(command.Metadata, StringComparer.Ordinal),
            ClientIp = command.ClientIp,
            ExpiresAt = expiresAt,
            Dialect = command.Dialect,
            SessionType = command.SessionType,
            Livemode = command.Livemode,
            Xendit = command.Xendit,
        };

        var next = new PaymentSessionState();
        next.Apply(created);

        // Created is appended here rather than raised through the log adaptor: it is the one
        // event another stream can refuse (order id unique per business), and the adaptor retries
        // a refused write until it lands, which would turn a duplicate order into a hang.
        // When the stream was not read, version 0 is an assumption the database checks: the
        // append conflicts if the id has any event.
        var result = await Appending(() => store.AppendAsync(SessionId, 0, [created], Project(next, 1)));
        switch (result)
        {
            case AppendResult.Appended:
                SessionMetrics.Committed(next, [created]);
                // What was just written is handed to the adaptor as its state: no read back.
                _log = [ToRecord(1, created)];
                await HandOver(1, next);
                return CreateSessionResult.Ok(Snapshot());
            case AppendResult.DuplicateOrderId when _readDeferred:
                // Not read yet: an id that exists is still answered as SessionExists, as it is
                // when the stream was read first.
                await LoadStream();
                return State.Exists
                    ? CreateSessionResult.Rejected(CreateSessionRejection.SessionExists, "The session already exists.")
                    : DuplicateOrder(command);
            case AppendResult.DuplicateOrderId:
                return DuplicateOrder(command);
            default:
                await LoadStream();
                return CreateSessionResult.Rejected(CreateSessionRejection.SessionExists, "The session already exists.");
        }
    }

    private CreateSessionResult DuplicateOrder(CreateSession command)
    {
        LogDuplicateOrder(logger, command.BusinessId);
        return CreateSessionResult.Rejected(CreateSessionRejection.DuplicateOrderId, "The order id has already been taken.");
    }

    /// <summary>
    /// Reads the stream now, whatever the adaptor holds (the first real read of a deferred
    /// activation, or after a refused append), and hands it to the adaptor. When the database
    /// fails, the call fails at once and the activation stays unread: the next call reads again.
    /// </summary>
    private async Task LoadStream()
    {
        var stored = await store.ReadStreamAsync(SessionId);
        var state = new PaymentSessionState();
        var log = new List<SessionEventRecord>(stored.Count);
        foreach (var row in stored)
        {
            state.Apply(row.Event);
            log.Add(new SessionEventRecord(row.Version, row.Type, row.Event.OccurredAt, row.Data));
        }

        _log = log;
        await HandOver(stored.Count, state);
    }

    /// <summary>
    /// Makes <paramref name="state"/> at <paramref name="version"/> the adaptor's confirmed view:
    /// its read (<see cref="ICustomStorageInterface{TState, TDelta}.ReadStateFromStorage"/>) takes
    /// it from here and never reaches the database.
    /// </summary>
    private Task HandOver(int version, PaymentSessionState state)
    {
        _readDeferred = false;
        _handoff = new(version, state);
        return RefreshNow();
    }

    /// <summary>
    /// Appends events decided from the confirmed state, as a conditional event would: true once
    /// they are stored at the next versions, false when another writer moved the stream first
    /// (then the stream has been read again, for the caller to decide anew).
    /// <para>
    /// The events go straight to the event store rather than through the log adaptor's
    /// <c>RaiseConditionalEvent</c>: when a write fails, the adaptor retries its read until the
    /// database answers again, holding this grain's turn (and every call queued behind it) until
    /// the callers time out. Here a failure fails the call at once (503 for the client), and the
    /// activation is let go (<see cref="Appending{T}"/>).
    /// </para>
    /// </summary>
    private async Task<bool> Append(params IReadOnlyList<PaymentSessionEvent> events)
    {
        var expectedVersion = Version;
        var next = State.Copy();
        var webhooks = new List<OutboundWebhook>();
        for (var i = 0; i < events.Count; i++)
        {
            next.Apply(events[i]);
            if (SessionWebhooks.For(SessionId, next, events[i], expectedVersion + i + 1, links) is { } webhook)
            {
                webhooks.Add(webhook);
            }
        }

        var result = await Appending(() => store.AppendAsync(SessionId, expectedVersion, events, Project(next, expectedVersion + events.Count), webhooks));
        if (result != AppendResult.Appended)
        {
            await LoadStream();
            return false;
        }

        SessionMetrics.Committed(next, events);
        for (var i = 0; i < events.Count; i++)
        {
            _log.Add(ToRecord(expectedVersion + i + 1, events[i]));
        }

        await HandOver(expectedVersion + events.Count, next);
        return true;
    }

    /// <summary>
    /// Runs an append. When it throws, its outcome is unknown: the connection may have broken
    /// while COMMIT was on its way, and the events may be stored or not. This activation can no
    /// longer tell what its stream holds, so it keeps nothing: it is deactivated once the call
    /// fails, and the next call reads the stream as stored.
    /// </summary>
    private async Task<T> Appending<T>(Func<Task<T>> append)
    {
        try
        {
            return await append();
        }
        catch (Exception)
        {
            _readDeferred = true;
            DeactivateOnIdle();
            throw;
        }
    }

    private static bool IsCreate(IIncomingGrainCallContext context) =>
        context.InterfaceMethod is { } method
        && method.DeclaringType == typeof(IPaymentSessionGrain)
        && method.Name == nameof(IPaymentSessionGrain.Create);

    public async Task<PaymentSessionSnapshot?> GetSnapshot()
    {
        await ExpireIfDue();
        return State.Exists ? Snapshot() : null;
    }

    public async Task<IReadOnlyList<SessionEventRecord>> GetEvents()
    {
        await ExpireIfDue();
        return [.. _log];
    }

    public async Task<bool> ExpireIfDue()
    {
        // A state that says due may be stale: a bulk expiry may have written Expired since this
        // activation read its stream. Then the append is refused on the version, Append reads the
        // stream again, and the loop ends on the Expired it finds.
        var tried = false;
        for (var i = 0; i < MaxDecisions && State.IsDue(clock.GetUtcNow()); i++)
        {
            tried = true;
            await Append(new Expired { EventId = Guid.NewGuid(), OccurredAt = clock.GetUtcNow() });
        }

        // Nothing more will happen to an expired session but reads of it: its activation is let go
        // once this call is answered (whoever wrote the Expired), so a sweep that expires thousands
        // at once does not hold them all in memory until idle collection. A later read rebuilds it
        // from its rows.
        if (tried && State.Status == SessionStatus.Expired)
        {
            DeactivateOnIdle();
        }

        return State.Status == SessionStatus.Expired;
    }

    public async Task<TransitionResult> Cancel(string? reason)
    {
        await ExpireIfDue();
        for (var i = 0; i < MaxDecisions; i++)
        {
            if (!State.Exists)
            {
                return TransitionResult.Refused("Session not found", null);
            }

            if (!State.IsOpen)
            {
                return TransitionResult.Refused(EndedMessage(), Snapshot());
            }

            if (await Append(new Canceled { EventId = Guid.NewGuid(), OccurredAt = clock.GetUtcNow(), Reason = reason }))
            {
                return TransitionResult.Done(Snapshot());
            }
        }

        throw new InvalidOperationException($"Session {SessionId} kept changing under Cancel.");
    }

    public async Task<SessionPaymentDetails?> GetPaymentDetails()
    {
        await ExpireIfDue();
        return State.Exists ? PaymentStatuses.Details(State) : null;
    }

    public Task<IReadOnlyList<WebhookDelivery>> GetWebhookDeliveries() => outbox.ListForSessionAsync(SessionId);

    public async Task<IReadOnlyList<AvailablePaymentMethod>> GetPaymentMethods()
    {
        await ExpireIfDue();
        if (!State.IsOpen)
        {
            return [];
        }

        // The session's mode picks the providers: a test session only test ones (the sandbox among
        // them), a live one only live ones. InitiatePayment chooses from this same list, so a
        // method of the other mode is "not found" both when listed and when paid with.
        var facts = State.Facts!;
        var business = GrainFactory.GetGrain<IBusinessGrain>(facts.BusinessId);
        if (facts.Xendit is { } xendit)
        {
            // A Xendit-style session offers only the channels it was created with (all when none
            // were named), and a SAVE session moves no money, so amount bounds do not hide methods.
            var channels = await business.CheckPaymentChannels(
                new PaymentChannelQuery(facts.Currency, facts.Amount, State.IsLive, facts.SessionType, xendit.AllowedPaymentChannels));
            return channels.Available;
        }

        return await business.GetAvailablePaymentMethods(facts.Currency, facts.Amount, State.IsLive);
    }

    public async Task<AttemptReservation> ReserveAttempt(InitiatePayment command)
    {
        await ExpireIfDue();
        if (!State.Exists)
        {
            return Refuse(InitiatePaymentOutcome.NotFound);
        }

        if (!State.IsOpen)
        {
            return Refuse(InitiatePaymentOutcome.Closed, EndedMessage());
        }

        // A session bound to the end user's address is paid only from that address (fraud check).
        if (State.Facts!.ClientIp is { } boundIp && command.PayerIp is { } payerIp && boundIp != payerIp)
        {
            return Refuse(InitiatePaymentOutcome.IpMismatch, "IP mismatch");
        }

        var now = clock.GetUtcNow();
        if (_initiation is { } held && held.Until > now)
        {
            return Refuse(InitiatePaymentOutcome.InProgress, "Payment initiation in progress");
        }

        var methods = await GetPaymentMethods();
        var method = methods.FirstOrDefault(m => m.Id == command.PaymentMethodId);
        if (method is null || !providers.IsConfigured(method.Provider))
        {
            return Refuse(InitiatePaymentOutcome.MethodNotAvailable, "Payment method not found");
        }

        // Paying again with a method whose attempt is still pending is the same attempt: the
        // customer goes back to it, and the provider is not asked for a second payment.
        if (State.Attempts.FindLast(a => a.PaymentMethodId == method.Id && a.State == AttemptState.Pending) is { } pending)
        {
            return new AttemptReservation(new InitiatePaymentResult(InitiatePaymentOutcome.Initiated, pending.RedirectUrl));
        }

        // The attempt's number comes from the durable log (attempts recorded so far + 1), so the
        // key derived from it is the same for every try of this attempt, whichever activation or
        // silo makes it, and a provider that honours idempotency keys makes one payment at most.
        var attempt = State.Attempts.Count + 1;
        var lease = new Initiation(Guid.NewGuid(), attempt, now + options.Value.InitiationLease);
        _initiation = lease;
        var facts = State.Facts;
        return new AttemptReservation(
            null, lease.Lease, lease.Until, attempt, method.Id, method.Provider, facts.Amount, facts.Currency, facts.Description,
            AttemptKeys.For(SessionId, attempt, method.Id), facts.SessionType);
    }

    public async Task<InitiatePaymentResult> RecordAttempt(StartedAttempt started)
    {
        var ours = _initiation is { } held && held.Lease == started.Lease;
        if (ours)
        {
            _initiation = null;
        }

        await ExpireIfDue();
        if (!State.Exists)
        {
            return new InitiatePaymentResult(InitiatePaymentOutcome.NotFound);
        }

        for (var i = 0; i < MaxDecisions; i++)
        {
            // This attempt is already in the log (a repeat of the same attempt, e.g. after the
            // lease ran out): the same key gave the same provider payment, so answer with it.
            if (State.Attempts.Count >= started.Attempt)
            {
                var recorded = State.Attempts[started.Attempt - 1];
                return recorded.Provider == started.Provider && recorded.Reference == started.Reference
                    ? new InitiatePaymentResult(InitiatePaymentOutcome.Initiated, recorded.RedirectUrl)
                    : new InitiatePaymentResult(InitiatePaymentOutcome.InProgress, Message: "Payment initiation in progress");
            }

            // The session ended while the provider answered: the attempt is abandoned.
            if (!State.IsOpen)
            {
                return new InitiatePaymentResult(InitiatePaymentOutcome.Closed, Message: EndedMessage());
            }

            // Our lease ran out and another initiation holds the slot now: it records the attempt.
            if (!ours && _initiation is { } other && other.Until > clock.GetUtcNow())
            {
                return new InitiatePaymentResult(InitiatePaymentOutcome.InProgress, Message: "Payment initiation in progress");
            }

            var facts = State.Facts!;
            var now = clock.GetUtcNow();
            var initiated = new PaymentInitiated
            {
                EventId = Guid.NewGuid(),
                OccurredAt = now,
                PaymentMethodId = started.PaymentMethodId,
                Provider = started.Provider,
                ProviderReference = started.Reference,
                RedirectUrl = started.RedirectUrl,
                PendingUntil = now + options.Value.PendingWindow,
                Amount = facts.Amount,
                Currency = facts.Currency,
                PaymentRequestId = facts.Dialect == SessionDialect.Xendit && facts.SessionType == SessionType.Pay
                    ? Xendit.XenditIds.NewPaymentRequestId()
                    : null,
                PayerIp = started.PayerIp,
                // Bounded here too, whoever called: the log keeps only what PayerFacts allows.
                PayerUserAgent = PayerFacts.UserAgent(started.PayerUserAgent),
            };
            if (await Append(initiated))
            {
                return new InitiatePaymentResult(InitiatePaymentOutcome.Initiated, started.RedirectUrl);
            }
        }

        throw new InvalidOperationException($"Session {SessionId} kept changing under RecordAttempt.");
    }

    public Task ReleaseAttempt(Guid lease)
    {
        if (_initiation is { } held && held.Lease == lease)
        {
            _initiation = null;
        }

        return Task.CompletedTask;
    }

    public async Task<PaymentReportOutcome> ReportPayment(ProviderPaymentReport report)
    {
        await ExpireIfDue();
        for (var i = 0; i < MaxDecisions; i++)
        {
            // Only a success on an ended session can be late: then the business's policy is read
            // (from its grain's memory) and recorded on the event, so replay never reads it again.
            var policy = report.Succeeded && State.Exists && !State.IsOpen
                ? await GrainFactory.GetGrain<IBusinessGrain>(State.Facts!.BusinessId).GetLatePaymentPolicy()
                : LatePaymentPolicy.Refund;

            // The catalogue holds every fee schedule in memory: the fee is decided in this turn with no I/O.
            var (outcome, events) = PaymentReports.DecideWithPolicy(State, report, clock.GetUtcNow(), policy, catalog);
            if (events.Count == 0 || await Append(events))
            {
                if (events is [LatePaymentReceived late, ..])
                {
                    LogLatePayment(logger, SessionId, report.Provider, late.Handling ?? LatePaymentPolicy.Manual);
                }
                else if (outcome is PaymentReportOutcome.MismatchRecorded)
                {
                    LogRefundRequired(logger, SessionId, report.Provider, outcome);
                }

                return outcome;
            }
        }

        throw new InvalidOperationException($"Session {SessionId} kept changing under ReportPayment.");
    }

    public async Task<LateRefundRecordOutcome> RecordLateRefund(LateRefundReport report)
    {
        for (var i = 0; i < MaxDecisions; i++)
        {
            var (outcome, @event) = LatePaymentRules.DecideRefund(State, report, clock.GetUtcNow());
            if (@event is null || await Append(@event))
            {
                return outcome;
            }
        }

        throw new InvalidOperationException($"Session {SessionId} kept changing under RecordLateRefund.");
    }

    // The adaptor never reads the database itself: LoadStream and Append hand it what they read or
    // wrote. Its own read (on activation) keeps the view as it is (the empty log of a new activation).
    Task<KeyValuePair<int, PaymentSessionState>> ICustomStorageInterface<PaymentSessionState, PaymentSessionEvent>.ReadStateFromStorage()
    {
        if (_handoff is { } handoff)
        {
            _handoff = null;
            return Task.FromResult(handoff);
        }

        return Task.FromResult(new KeyValuePair<int, PaymentSessionState>(Version, State));
    }

    // Reached only through RaiseEvent and its kin, which this grain never uses (see Append).
    Task<bool> ICustomStorageInterface<PaymentSessionState, PaymentSessionEvent>.ApplyUpdatesToStorage(
        IReadOnlyList<PaymentSessionEvent> updates, int expectedVersion) =>
        throw new NotSupportedException("Session events are appended through the event store (PaymentSessionGrain.Append), never through the log adaptor.");

    protected override void TransitionState(PaymentSessionState state, PaymentSessionEvent @event) => state.Apply(@event);

    private string EndedMessage() => $"Session is {State.Status.ToName()}";

    private static AttemptReservation Refuse(InitiatePaymentOutcome outcome, string? message = null) =>
        new(new InitiatePaymentResult(outcome, Message: message));

    private PaymentSessionSnapshot Snapshot() => State.ToSnapshot(SessionId, Version);

    private SessionProjection Project(PaymentSessionState state, int version) => SessionProjection.Of(SessionId, state, version);

    private static SessionEventRecord ToRecord(int version, PaymentSessionEvent @event) =>
        new(version, EventTypes.NameOf(@event), @event.OccurredAt, EventTypes.Serialize(@event));

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a session for business {BusinessId}: order id already used")]
    private static partial void LogDuplicateOrder(ILogger logger, string businessId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} received a payment from {Provider} it cannot keep ({Outcome}): refund required")]
    private static partial void LogRefundRequired(ILogger logger, string sessionId, string provider, PaymentReportOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} received a payment from {Provider} after it ended: handled by {Handling}")]
    private static partial void LogLatePayment(ILogger logger, string sessionId, string provider, LatePaymentPolicy handling);

    private sealed record Initiation(Guid Lease, int Attempt, DateTimeOffset Until);
}
