namespace PaySessions.Grains.Sessions;

/// <summary>
/// A merchant's sessions, a page at a time, newest first, read from the projection (no session
/// grain is activated). Stateless: any silo answers from PostgreSQL.
/// </summary>
[Alias("PaySessions.ISessionListingGrain")]
public interface ISessionListingGrain : IGrainWithIntegerKey
{
    [Alias("List")]
    Task<SessionListPage> List(SessionListQuery query);
}

public static class SessionListing
{
    /// <summary>The most sessions one page holds.</summary>
    public const int MaxLimit = 100;

    /// <summary>The page size when the caller names none.</summary>
    public const int DefaultLimit = 10;

    /// <summary>Asks for one page (a local stateless worker: no network hop, no state).</summary>
    public static Task<SessionListPage> ListSessions(this IGrainFactory grains, SessionListQuery query) =>
        grains.GetGrain<ISessionListingGrain>(0).List(query);
}

/// <summary>
/// Whose sessions: one business (the caller, or the sub-account it acts for), in one mode, created
/// through one dialect. Nothing outside this scope is ever read, cursors included.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.SessionListScope")]
public sealed record SessionListScope(
    [property: Id(70)] string BusinessId,
    [property: Id(71)] bool Livemode,
    [property: Id(72)] SessionDialect Dialect);

/// <summary>
/// What a listed session must match; every filter that is set must hold. <see cref="Statuses"/>:
/// any of them (empty: every status). <see cref="Customer"/> is the Payviox <c>customer</c> field,
/// <see cref="CustomerId"/> the Xendit-style <c>cust-…</c> id. <see cref="OrderId"/> is the order
/// id (Payviox) or reference id (Xendit). <see cref="CreatedFrom"/> is inclusive,
/// <see cref="CreatedTo"/> exclusive.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.SessionListFilter")]
public sealed record SessionListFilter
{
    [Id(70)]
    public IReadOnlyList<SessionStatus> Statuses { get; init; } = [];

    [Id(71)]
    public SessionCustomerFilter? Customer { get; init; }

    [Id(72)]
    public string? OrderId { get; init; }

    [Id(73)]
    public SessionCreatedWindow? Created { get; init; }

    /// <summary>Only sessions whose money waits for an operator (true) or only the others (false): <c>manual_review</c>.</summary>
    [Id(74)]
    public bool? ManualReview { get; init; }
}

/// <summary>A customer as one dialect names it: the Payviox <c>customer</c> text, or a Xendit-style <c>cust-…</c> id.</summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.SessionCustomerFilter")]
public sealed record SessionCustomerFilter(
    [property: Id(70)] string Value,
    [property: Id(71)] bool IsCustomerId);

/// <summary>Created at or after <see cref="From"/> and before <see cref="To"/> (either open).</summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.SessionCreatedWindow")]
public sealed record SessionCreatedWindow(
    [property: Id(70)] DateTimeOffset? From,
    [property: Id(71)] DateTimeOffset? To);

/// <summary>Which way a cursor pages from the session it names.</summary>
public enum SessionCursorDirection
{
    /// <summary><c>starting_after</c>: the older sessions after this one (the next page).</summary>
    StartingAfter = 0,

    /// <summary><c>ending_before</c>: the newer sessions before this one (the previous page).</summary>
    EndingBefore = 1,
}

[Immutable]
[GenerateSerializer]
[Alias("PaySessions.SessionCursor")]
public sealed record SessionCursor(
    [property: Id(70)] string SessionId,
    [property: Id(71)] SessionCursorDirection Direction);

[Immutable]
[GenerateSerializer]
[Alias("PaySessions.SessionListQuery")]
public sealed record SessionListQuery(
    [property: Id(70)] SessionListScope Scope,
    [property: Id(71)] SessionListFilter Filter,
    [property: Id(72)] int Limit,
    [property: Id(73)] SessionCursor? Cursor = null);

/// <summary>
/// One page, newest first, each session as its grain would show it (folded from its events).
/// <see cref="HasMore"/>: more sessions match beyond this page in the direction paged
/// (older ones for a first page or <c>starting_after</c>, newer ones for <c>ending_before</c>).
/// <see cref="CursorFound"/> is false when the cursor names no session of the scope; then the
/// page is empty.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.SessionListPage")]
public sealed record SessionListPage(
    [property: Id(70)] IReadOnlyList<PaymentSessionSnapshot> Sessions,
    [property: Id(71)] bool HasMore,
    [property: Id(72)] bool CursorFound = true);
