namespace PaySessions.Grains.Sessions;

/// <summary>
/// What a front door asks of a new session. Validation of the merchant's JSON happens in the
/// front door (each dialect has its own error shapes); the grain still refuses anything that
/// would break an invariant of money or state.
/// </summary>
// [Immutable] here and on the other records that cross grain calls: within one silo (the front
// door is co-hosted) Orleans then passes them by reference instead of deep-copying each call,
// and a grain reference is built without creating copiers. Nothing changes one after it is sent.
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.CreateSession")]
public sealed record CreateSession
{
    [Id(0)]
    public required string BusinessId { get; init; }

    [Id(1)]
    public required string OrderId { get; init; }

    [Id(2)]
    public required string Customer { get; init; }

    [Id(3)]
    public required long Amount { get; init; }

    [Id(4)]
    public required string Currency { get; init; }

    [Id(5)]
    public required IReadOnlyList<LineItem> Items { get; init; }

    [Id(6)]
    public string? Description { get; init; }

    [Id(7)]
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    [Id(8)]
    public string? ClientIp { get; init; }

    /// <summary>When the session should expire; the grain's configured default when null.</summary>
    [Id(9)]
    public DateTimeOffset? ExpiresAt { get; init; }

    [Id(10)]
    public SessionDialect Dialect { get; init; } = SessionDialect.Payviox;

    [Id(11)]
    public SessionType SessionType { get; init; } = SessionType.Pay;

    /// <summary>The mode of the key that asked (false: test, the default): live sessions use live providers only, test sessions test ones.</summary>
    [Id(12)]
    public bool Livemode { get; init; }

    /// <summary>The Xendit-style facts; required with <see cref="SessionDialect.Xendit"/>, null otherwise.</summary>
    [Id(13)]
    public XenditSessionDetails? Xendit { get; init; }
}

/// <summary>Why a create was refused. Nothing was appended in either case.</summary>
public enum CreateSessionRejection
{
    None = 0,

    /// <summary>This session id already holds a session.</summary>
    SessionExists = 1,

    /// <summary>The business already has a session for this order id.</summary>
    DuplicateOrderId = 2,

    /// <summary>The command breaks a rule of money (amount, items, currency).</summary>
    Invalid = 3,
}

/// <param name="Violation">For <see cref="CreateSessionRejection.Invalid"/>: which field broke which rule.</param>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.CreateSessionResult")]
public sealed record CreateSessionResult(
    [property: Id(0)] PaymentSessionSnapshot? Session,
    [property: Id(1)] CreateSessionRejection Rejection,
    [property: Id(2)] string? Message = null,
    [property: Id(3)] SessionRuleViolation? Violation = null)
{
    public bool IsCreated => Rejection == CreateSessionRejection.None;

    public static CreateSessionResult Ok(PaymentSessionSnapshot session) => new(session, CreateSessionRejection.None);

    public static CreateSessionResult Rejected(CreateSessionRejection why, string message) => new(null, why, message);

    public static CreateSessionResult Invalid(SessionRuleViolation violation) =>
        new(null, CreateSessionRejection.Invalid, violation.Message, violation);
}
