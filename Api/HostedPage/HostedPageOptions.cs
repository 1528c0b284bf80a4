using System.ComponentModel.DataAnnotations;

namespace PaySessions.Api.HostedPage;

/// <summary>Hosted payment page settings (<c>PaySessions:HostedPage</c>).</summary>
public sealed class HostedPageOptions
{
    public const string Section = "PaySessions:HostedPage";

    /// <summary>
    /// Seconds between reloads of the waiting page (a payment started, the provider's report not
    /// in yet). Short enough that the customer sees the outcome soon after it arrives.
    /// </summary>
    [Range(1, 600)]
    public int WaitingRefreshSeconds { get; set; } = 3;
}
