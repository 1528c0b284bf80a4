using System.Globalization;
using Microsoft.AspNetCore.Http;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.Core;

/// <summary>What is wrong with one query parameter of a listing; each dialect words it in its own shape.</summary>
public enum ListProblem
{
    /// <summary>Sent more than once (<c>?limit=1&amp;limit=2</c>).</summary>
    Repeated,
    NotAnInteger,
    OutOfRange,

    /// <summary>Not one of the dialect's words (a status).</summary>
    UnknownValue,
    TooLong,

    /// <summary>Not an ISO 8601 date-time with an offset.</summary>
    NotADateTime,

    /// <summary><c>created_to</c> is not later than <c>created_from</c>.</summary>
    NotAfterFrom,

    /// <summary><c>starting_after</c> and <c>ending_before</c> together.</summary>
    BothCursors,

    /// <summary>The cursor names no session of the caller's (malformed, unknown, another's, the other mode's or dialect's).</summary>
    UnknownCursor,

    /// <summary>Not of the form of a customer id (<c>cust-</c> + a UUID).</summary>
    NotACustomerId,
}

public sealed record ListError(string Parameter, ListProblem Problem);

/// <summary>
/// How one dialect names the listing's parameters and statuses. The parameters of the two
/// dialects are read by the same code (<see cref="SessionListRequest.Read"/>); only the names,
/// the status words and the customer's form differ.
/// </summary>
public sealed record ListDialect(
    SessionDialect Dialect,
    IReadOnlyDictionary<string, SessionStatus[]> StatusWords,
    string CustomerParameter,
    bool CustomerIsId,
    string OrderParameter,
    int MaxOrderLength,
    int MaxCustomerLength);

/// <summary>
/// Reads a listing's query string into the neutral <see cref="SessionListQuery"/>, every problem
/// at once. Each parameter is one entry of <see cref="Parameters"/> (its name and how it changes
/// the query being built), so a new filter is one more entry. An empty
/// value counts as absent; unknown parameters are ignored, as both providers do.
/// </summary>
public static class SessionListRequest
{
    public const string Limit = "limit";
    public const string Status = "status";
    public const string CreatedFrom = "created_from";
    public const string CreatedTo = "created_to";
    public const string StartingAfter = "starting_after";
    public const string EndingBefore = "ending_before";
    public const string ManualReview = "manual_review";

    /// <summary>The query as it is built, parameter by parameter.</summary>
    private sealed class Draft
    {
        public int Limit { get; set; } = SessionListing.DefaultLimit;

        public SessionListFilter Filter { get; set; } = new();

        public DateTimeOffset? From { get; set; }

        public DateTimeOffset? To { get; set; }

        public SessionCursor? Cursor { get; set; }
    }

    private delegate ListProblem? Apply(string value, Draft draft, ListDialect dialect);

    private sealed record Parameter(Func<ListDialect, string> Name, Apply Apply);

    private static readonly Parameter[] Parameters =
    [
        new(_ => Limit, (value, draft, _) =>
        {
            if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var limit))
            {
                return value.Length > 0 && (value[0] == '-' || char.IsAsciiDigit(value[0])) && value.Skip(1).All(char.IsAsciiDigit)
                    ? ListProblem.OutOfRange
                    : ListProblem.NotAnInteger;
            }

            draft.Limit = limit;
            return limit is < 1 or > SessionListing.MaxLimit ? ListProblem.OutOfRange : null;
        }),
        new(_ => Status, (value, draft, dialect) =>
        {
            var statuses = new List<SessionStatus>();
            foreach (var word in value.Split(','))
            {
                if (!dialect.StatusWords.TryGetValue(word, out var meant))
                {
                    return ListProblem.UnknownValue;
                }

                statuses.AddRange(meant);
            }

            draft.Filter = draft.Filter with { Statuses = [.. statuses.Distinct()] };
            return null;
        }),
        new(d => d.CustomerParameter, (value, draft, dialect) =>
        {
            if (value.Length > dialect.MaxCustomerLength)
            {
                return ListProblem.TooLong;
            }

            if (dialect.CustomerIsId && !Grains.Customers.CustomerIds.IsWellFormed(value))
            {
                return ListProblem.NotACustomerId;
            }

            draft.Filter = draft.Filter with { Customer = new SessionCustomerFilter(value, dialect.CustomerIsId) };
            return null;
        }),
        new(d => d.OrderParameter, (value, draft, dialect) =>
        {
            if (value.Length > dialect.MaxOrderLength)
            {
                return ListProblem.TooLong;
            }

            draft.Filter = draft.Filter with { OrderId = value };
            return null;
        }),
        new(_ => ManualReview, (value, draft, _) =>
        {
            if (value is not ("true" or "false"))
            {
                return ListProblem.UnknownValue;
            }

            draft.Filter = draft.Filter with { ManualReview = value == "true" };
            return null;
        }),
        new(_ => CreatedFrom, (value, draft, _) => DateTime(value, at => draft.From = at)),
        new(_ => CreatedTo, (value, draft, _) => DateTime(value, at => draft.To = at)),
        new(_ => StartingAfter, (value, draft, _) => Cursor(value, SessionCursorDirection.StartingAfter, draft)),
        new(_ => EndingBefore, (value, draft, _) => Cursor(value, SessionCursorDirection.EndingBefore, draft)),
    ];

    /// <summary>The query for <paramref name="scope"/>, or every problem of the query string.</summary>
    public static (SessionListQuery? Query, IReadOnlyList<ListError> Errors) Read(IQueryCollection query, SessionListScope scope, ListDialect dialect)
    {
        var draft = new Draft();
        var errors = new List<ListError>();
        foreach (var parameter in Parameters)
        {
            var name = parameter.Name(dialect);
            var values = query[name];
            if (values.Count > 1)
            {
                errors.Add(new ListError(name, ListProblem.Repeated));
            }
            else if (values.Count == 1 && !string.IsNullOrEmpty(values[0]) && parameter.Apply(values[0]!, draft, dialect) is { } problem)
            {
                errors.Add(new ListError(name, problem));
            }
        }

        if (draft is { From: { } from, To: { } to } && to <= from)
        {
            errors.Add(new ListError(CreatedTo, ListProblem.NotAfterFrom));
        }

        if (!string.IsNullOrEmpty(query[StartingAfter]) && !string.IsNullOrEmpty(query[EndingBefore]))
        {
            errors.Add(new ListError(StartingAfter, ListProblem.BothCursors));
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var filter = draft.From is null && draft.To is null ? draft.Filter : draft.Filter with { Created = new SessionCreatedWindow(draft.From, draft.To) };
        return (new SessionListQuery(scope, filter, draft.Limit, draft.Cursor), []);
    }

    /// <summary>The parameter the cursor came in, for a cursor the store did not find.</summary>
    public static string CursorParameter(SessionListQuery query) =>
        query.Cursor?.Direction == SessionCursorDirection.EndingBefore ? EndingBefore : StartingAfter;

    private static ListProblem? Cursor(string value, SessionCursorDirection direction, Draft draft)
    {
        // A malformed id is no session of the caller's: the same answer as an unknown one.
        if (!SessionIds.IsWellFormed(value))
        {
            return ListProblem.UnknownCursor;
        }

        draft.Cursor = new SessionCursor(value, direction);
        return null;
    }

    /// <summary>
    /// ISO 8601 date-time with an offset (Z or ±hh:mm): a time without one names no instant. A
    /// '+' sent unencoded in a query string arrives as a space; it is read as the '+' it was.
    /// </summary>
    private static ListProblem? DateTime(string text, Action<DateTimeOffset> set)
    {
        if (text.Length > 6 && text[^6] == ' ' && text[^3] == ':')
        {
            text = string.Concat(text.AsSpan(0, text.Length - 6), "+", text.AsSpan(text.Length - 5));
        }

        string[] formats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];
        var hasOffset = text.EndsWith('Z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
        if (!hasOffset || !DateTimeOffset.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
        {
            return ListProblem.NotADateTime;
        }

        set(at);
        return null;
    }
}
