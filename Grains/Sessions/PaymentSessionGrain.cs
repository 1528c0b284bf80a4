using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.EventSourcing;
using Orleans.EventSourcing.CustomStorage;
using Orleans.Providers;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions.Events;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// One payment session: the only writer of its event log. Every method decides from the
/// confirmed state, then appends; nothing is answered before the append is durable, and side
/// effects (the expiry reminder) come only after it.
/// </summary>
[LogConsistencyProvider(ProviderName = StorageNames.SessionEvents)]
public sealed partial class PaymentSessionGrain(
    IEventStore store,
    TimeProvider clock,
    IOptions<PaymentSessionOptions> options,
    ILogger<PaymentSessionGrain> logger)
    : JournaledGrain<PaymentSessionState, PaymentSessionEvent>,
      IPaymentSessionGrain,
      ICustomStorageInterface<PaymentSessionState, PaymentSessionEvent>,
      IRemindable
{
    private const string ExpiryReminder = "expire";

    // The log as stored, kept beside the folded state so reads need no query.
    private List<SessionEventRecord> _log = [];

    // State this activation itself just wrote outside the adaptor (see Create), handed to the
    // adaptor's next read so that it need not fetch rows it already holds.
    private KeyValuePair<int, PaymentSessionState>? _handoff;

    private string SessionId => this.GetPrimaryKeyString();

    public async Task<CreateSessionResult> Create(CreateSession command)
    {
        if (State.Exists)
        {
            return CreateSessionResult.Rejected(CreateSessionRejection.SessionExists, "The session already exists.");
        }

        var now = clock.GetUtcNow();
        var expiresAt = command.ExpiresAt ?? now + options.Value.Expiry;
        if (MoneyRules.Check(command, now, expiresAt) is { } problem)
        {
            return CreateSessionResult.Rejected(CreateSessionRejection.Invalid, problem);
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
        };

        var next = new PaymentSessionState();
        next.Apply(created);

        // Created is appended here rather than raised through the log adaptor: it is the one
        // event another stream can refuse (order id unique per business), and the adaptor retries
        // a refused write until it lands, which would turn a duplicate order into a hang.
        var result = await store.AppendAsync(SessionId, 0, [created], Project(next, 1));
        switch (result)
        {
            case AppendResult.Appended:
                _log = [ToRecord(1, created)];
                _handoff = new(1, next);
                await RefreshNow();
                await ScheduleExpiry();
                return CreateSessionResult.Ok(Snapshot());
            case AppendResult.DuplicateOrderId:
                LogDuplicateOrder(logger, command.BusinessId);
                return CreateSessionResult.Rejected(CreateSessionRejection.DuplicateOrderId, "The order id has already been taken.");
            default:
                await RefreshNow();
                return CreateSessionResult.Rejected(CreateSessionRejection.SessionExists, "The session already exists.");
        }
    }

    public Task<PaymentSessionSnapshot?> GetSnapshot() =>
        Task.FromResult(State.Exists ? Snapshot() : null);

    public Task<IReadOnlyList<SessionEventRecord>> GetEvents() =>
        Task.FromResult<IReadOnlyList<SessionEventRecord>>([.. _log]);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ExpiryReminder)
        {
            return;
        }

        // Reminders can fire late, early or twice: decide only from the durable state.
        while (State.IsOpen && clock.GetUtcNow() >= State.Facts!.ExpiresAt)
        {
            var expired = new Expired { EventId = Guid.NewGuid(), OccurredAt = clock.GetUtcNow() };
            if (await RaiseConditionalEvent(expired))
            {
                break;
            }
        }

        if (!State.IsOpen)
        {
            if (await this.GetReminder(ExpiryReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
    }

    async Task<KeyValuePair<int, PaymentSessionState>> ICustomStorageInterface<PaymentSessionState, PaymentSessionEvent>.ReadStateFromStorage()
    {
        if (_handoff is { } handoff)
        {
            _handoff = null;
            return handoff;
        }

        var stored = await store.ReadStreamAsync(SessionId);
        var state = new PaymentSessionState();
        var log = new List<SessionEventRecord>(stored.Count);
        foreach (var row in stored)
        {
            state.Apply(row.Event);
            log.Add(new SessionEventRecord(row.Version, row.Type, row.Event.OccurredAt, row.Data));
        }

        _log = log;
        return new(stored.Count, state);
    }

    async Task<bool> ICustomStorageInterface<PaymentSessionState, PaymentSessionEvent>.ApplyUpdatesToStorage(
        IReadOnlyList<PaymentSessionEvent> updates, int expectedVersion)
    {
        var next = ConfirmedState();
        foreach (var update in updates)
        {
            next.Apply(update);
        }

        var result = await store.AppendAsync(SessionId, expectedVersion, updates, Project(next, expectedVersion + updates.Count));
        if (result != AppendResult.Appended)
        {
            // A conflict: the adaptor re-reads the stream and re-checks conditional events.
            return false;
        }

        for (var i = 0; i < updates.Count; i++)
        {
            _log.Add(ToRecord(expectedVersion + i + 1, updates[i]));
        }

        return true;
    }

    protected override void TransitionState(PaymentSessionState state, PaymentSessionEvent @event) => state.Apply(@event);

    private PaymentSessionState ConfirmedState() => State.Copy();

    private async Task ScheduleExpiry()
    {
        var due = State.Facts!.ExpiresAt - clock.GetUtcNow();
        await this.RegisterOrUpdateReminder(ExpiryReminder, due > TimeSpan.Zero ? due : TimeSpan.Zero, options.Value.ExpiryRetryPeriod);
    }

    private PaymentSessionSnapshot Snapshot()
    {
        var facts = State.Facts!;
        return new PaymentSessionSnapshot
        {
            SessionId = SessionId,
            Version = Version,
            Status = State.Status,
            BusinessId = facts.BusinessId,
            OrderId = facts.OrderId,
            Customer = facts.Customer,
            Amount = facts.Amount,
            Currency = facts.Currency,
            Items = facts.Items,
            Description = facts.Description,
            Metadata = facts.Metadata,
            ClientIp = facts.ClientIp,
            CreatedAt = facts.OccurredAt,
            ExpiresAt = facts.ExpiresAt,
            ClosedAt = State.ClosedAt,
            Dialect = facts.Dialect,
            SessionType = facts.SessionType,
        };
    }

    private SessionProjection Project(PaymentSessionState state, int version)
    {
        var facts = state.Facts!;
        return new SessionProjection(
            SessionId, facts.BusinessId, facts.OrderId, facts.Customer, state.Status.ToName(),
            facts.Amount, facts.Currency, facts.OccurredAt, facts.ExpiresAt, version);
    }

    private static SessionEventRecord ToRecord(int version, PaymentSessionEvent @event) =>
        new(version, EventTypes.NameOf(@event), @event.OccurredAt, EventTypes.Serialize(@event));

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a session for business {BusinessId}: order id already used")]
    private static partial void LogDuplicateOrder(ILogger logger, string businessId);
}
