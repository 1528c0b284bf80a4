using PaySessions.Api.Xendit;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.HostedPage;

/// <summary>What the customer is shown.</summary>
public enum PageState
{
    /// <summary>Open: the order and the methods to pay with.</summary>
    Open = 0,

    /// <summary>A payment was started and the provider has not reported yet: refreshes by itself.</summary>
    Waiting = 1,

    Completed = 2,
    Expired = 3,
    Canceled = 4,

    /// <summary>No such session, or an id of no session's shape: says nothing more.</summary>
    NotFound = 5,

    /// <summary>The session is bound to another address than the payer's.</summary>
    Forbidden = 6,

    /// <summary>A form without a valid antiforgery token, or without a method: nothing was started.</summary>
    BadRequest = 7,
}

/// <summary>One line of the order as shown.</summary>
public sealed record ItemView(string Name, long Quantity);

/// <summary>One payment method button: the form posts <see cref="Id"/> as <c>method</c>.</summary>
public sealed record MethodView(string Id, string Name);

/// <summary>The hidden form field that carries the antiforgery token.</summary>
public sealed record FormToken(string FieldName, string Value);

/// <summary>
/// Everything the page renders, computed before rendering: the component only lays it out.
/// Strings here are merchant- or customer-facing text; the renderer HTML-encodes every one.
/// </summary>
public sealed record PageView
{
    public required PageState State { get; init; }

    public required PageText Text { get; init; }

    public required string StylesheetHref { get; init; }

    /// <summary>Null on the not-found page: nothing about any session is shown there.</summary>
    public string? SessionId { get; init; }

    public string? BusinessName { get; init; }

    public string? Description { get; init; }

    public IReadOnlyList<ItemView> Items { get; init; } = [];

    /// <summary>The formatted total; null for SAVE sessions, which collect no money.</summary>
    public string? Total { get; init; }

    public bool IsSave { get; init; }

    public bool IsTestMode { get; init; }

    public string? TimeLeft { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public IReadOnlyList<MethodView> Methods { get; init; } = [];

    /// <summary>A plain message above the methods (a provider error, a failed last attempt).</summary>
    public string? Notice { get; init; }

    public FormToken? Token { get; init; }

    /// <summary>Where the customer goes back to the business (Xendit's success or cancel return URL).</summary>
    public string? ReturnUrl { get; init; }

    /// <summary>Seconds after which the browser reloads the page (the waiting state), without script.</summary>
    public int? RefreshSeconds { get; init; }

    /// <summary>
    /// The origins the business allows to frame the page (iframe mode); empty: none may. With
    /// any, the page loads its frame script (<see cref="PageScript"/>) and shows a close button.
    /// </summary>
    public IReadOnlyList<string> FrameOrigins { get; init; } = [];

    /// <summary>Where a framed page tells its parent to send the customer (<c>payviox:redirect</c>).</summary>
    public string? FrameRedirect { get; init; }

    public string Title => State switch
    {
        PageState.Open => Text.Format("PageTitle", BusinessName ?? ""),
        PageState.Waiting => Text["WaitingTitle"],
        PageState.Completed => IsSave ? Text["SavedTitle"] : Text["CompletedTitle"],
        PageState.Expired => Text["ExpiredTitle"],
        PageState.Canceled => Text["CanceledTitle"],
        PageState.Forbidden => Text["ForbiddenTitle"],
        PageState.BadRequest => Text["BadRequestTitle"],
        _ => Text["NotFoundTitle"],
    };
}

/// <summary>Turns a session snapshot into what its page shows.</summary>
public static class PageViews
{
    public static PageState StateOf(PaymentSessionSnapshot session, DateTimeOffset now) => session.Status switch
    {
        SessionStatus.Completed => PageState.Completed,
        SessionStatus.Expired => PageState.Expired,
        SessionStatus.Canceled => PageState.Canceled,
        // The sweep records Expired a little after the time is up; the page does not wait for it.
        _ when now >= session.ExpiresAt => PageState.Expired,
        // Waiting only while the latest attempt awaits its report: after a decline the customer
        // lands here again and may choose anew.
        SessionStatus.PaymentInitiated when session.LastAttemptPending => PageState.Waiting,
        _ => PageState.Open,
    };

    public static PageView For(
        PaymentSessionSnapshot session,
        string businessName,
        PageState state,
        PageText text,
        DateTimeOffset now,
        IReadOnlyList<AvailablePaymentMethod> methods,
        FormToken? token,
        string stylesheetHref,
        int waitingRefreshSeconds,
        string? notice = null)
    {
        var isSave = session.SessionType == SessionType.Save;
        return new PageView
        {
            State = state,
            Text = text,
            StylesheetHref = stylesheetHref,
            SessionId = session.SessionId,
            BusinessName = businessName,
            Description = session.Description,
            Items = [.. session.Items.Select(i => new ItemView(i.Name, i.Quantity))],
            Total = isSave ? null : Total(session, text.Language),
            IsSave = isSave,
            IsTestMode = !session.Livemode,
            TimeLeft = state == PageState.Open ? TimeLeft(session.ExpiresAt - now, text) : null,
            ExpiresAt = session.ExpiresAt,
            Methods = state == PageState.Open ? [.. methods.Select(m => new MethodView(m.Id, m.Name))] : [],
            Notice = notice ?? (state == PageState.Open && session.FailedAttempts > 0 && !session.LastAttemptPending ? text["LastAttemptFailed"] : null),
            Token = token,
            ReturnUrl = WebLink(state switch
            {
                PageState.Completed => session.Xendit?.SuccessReturnUrl,
                PageState.Expired or PageState.Canceled => session.Xendit?.CancelReturnUrl,
                _ => null,
            }),
            RefreshSeconds = state == PageState.Waiting ? waitingRefreshSeconds : null,
        };
    }

    public static PageView Bare(PageState state, PageText text, string stylesheetHref, string? sessionId = null) =>
        new() { State = state, Text = text, StylesheetHref = stylesheetHref, SessionId = sessionId };

    private static string Total(PaymentSessionSnapshot session, PageLanguage language) =>
        // A Xendit-style session shows the amount exactly as the merchant sent it, in that
        // dialect's decimals (IDR has none there); a Payviox one its minor units.
        session.Xendit is { } xendit && XenditAmounts.Decimals.TryGetValue(session.Currency, out var decimals)
            ? MoneyText.FromMajor(xendit.AmountAsSent, session.Currency, decimals, language)
            : MoneyText.FromMinor(session.Amount, session.Currency, language);

    // A merchant's URL becomes a link only when it is absolute http(s): never javascript: or data:.
    private static string? WebLink(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) ? uri.AbsoluteUri : null;

    public static string TimeLeft(TimeSpan left, PageText text)
    {
        if (left < TimeSpan.FromMinutes(1))
        {
            return text["TimeLeftUnderMinute"];
        }

        var hours = (long)left.TotalHours;
        return hours > 0
            ? text.Format("TimeLeftHours", hours, left.Minutes)
            : text.Format("TimeLeftMinutes", left.Minutes);
    }
}
