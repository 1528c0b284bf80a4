namespace PaySessions.Grains.Sessions;

/// <summary>The fact of a new session that a rule of money or time is about.</summary>
public enum SessionField
{
    Business = 0,
    OrderId = 1,
    Customer = 2,
    Amount = 3,
    Currency = 4,
    Items = 5,
    ExpiresAt = 6,

    /// <summary>The dialect, and the dialect's own details that must come with it.</summary>
    Dialect = 7,
}

/// <summary>
/// A rule of money or time the session grain holds every new session to, whichever front door
/// asked. Each dialect words it in its own shape (a Laravel message, an <c>error_code</c>).
/// </summary>
public enum SessionRule
{
    /// <summary>An id, order id or customer is empty.</summary>
    Required = 0,

    /// <summary>Not a current ISO 4217 code in upper case.</summary>
    UnknownCurrency = 1,

    /// <summary>A PAY session asks for nothing, or any session for less than nothing.</summary>
    AmountNotPositive = 2,

    /// <summary>A SAVE session collects no money: its amount is exactly 0.</summary>
    AmountNotZero = 3,

    /// <summary>There are items, and Σ price × quantity (no overflow) is not the amount.</summary>
    ItemsTotalMismatch = 4,

    /// <summary>The session would expire at or before its creation.</summary>
    ExpiryNotInFuture = 5,

    /// <summary>Dialect-specific details came with another dialect, or were missing from theirs.</summary>
    DialectDetailsMismatch = 6,
}

/// <summary>Why the grain refused a create: the field, the rule, and a plain-English message for logs and fallbacks.</summary>
[GenerateSerializer]
[Alias("PaySessions.SessionRuleViolation")]
public sealed record SessionRuleViolation(
    [property: Id(0)] SessionField Field,
    [property: Id(1)] SessionRule Rule,
    [property: Id(2)] string Message);
