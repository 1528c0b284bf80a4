using Microsoft.Extensions.Options;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;

namespace PaySessions.Grains.Payments;

/// <summary>One method of the catalogue (<c>PaySessions:PaymentMethods</c>).</summary>
public sealed class PaymentMethodOptions
{
    public string Id { get; set; } = "";

    /// <summary>The configured provider (<c>PaySessions:Providers:&lt;name&gt;</c>) that handles it.</summary>
    public string Provider { get; set; } = "";

    public PaymentMethodKind Kind { get; set; } = PaymentMethodKind.Redirect;

    public string DisplayName { get; set; } = "";

    /// <summary>Currencies it accepts; empty means any.</summary>
    public List<string> Currencies { get; set; } = [];

    /// <summary>Smallest and largest amounts in minor units; null means no bound.</summary>
    public long? MinAmount { get; set; }

    public long? MaxAmount { get; set; }

    /// <summary>
    /// The channel code a Xendit-style merchant names this method by in
    /// <c>allowed_payment_channels</c> (<c>CARDS</c>, <c>OVO</c>, …); the id in upper case when unset.
    /// </summary>
    public string? ChannelCode { get; set; }

    internal string EffectiveChannelCode => string.IsNullOrWhiteSpace(ChannelCode) ? Id.ToUpperInvariant() : ChannelCode.Trim();
}

public sealed class PaymentMethodCatalogOptions
{
    public const string Section = "PaySessions:PaymentMethods";

    public List<PaymentMethodOptions> Methods { get; set; } = [];
}

/// <summary>The payment methods this deployment offers and which of them fit a session.</summary>
public sealed class PaymentMethodCatalog(IOptions<PaymentMethodCatalogOptions> options, PaymentProviders providers)
{
    /// <summary>
    /// Methods among <paramref name="enabled"/> whose provider is configured, serves the session's
    /// mode (<paramref name="livemode"/>: live providers for live sessions, test ones and the
    /// sandbox for test sessions) and that fit currency and amount. A method of the other mode is
    /// simply absent, so it is "not found" wherever a session looks a method up.
    /// </summary>
    public IReadOnlyList<AvailablePaymentMethod> Available(IEnumerable<string> enabled, string currency, long amount, bool livemode) =>
        Available(enabled, currency, amount, livemode, checkAmount: true);

    /// <summary>
    /// The channels of <paramref name="enabled"/> that fit the session in <paramref name="query"/>,
    /// narrowed to the requested codes (compared exactly: codes are upper case), and the requested
    /// codes that do not fit. A SAVE session moves no money, so a method's amount bounds do not
    /// apply to it; its currency and mode still do.
    /// </summary>
    public PaymentChannelCheck Channels(IEnumerable<string> enabled, PaymentChannelQuery query)
    {
        var fitting = Available(enabled, query.Currency, query.Amount, query.Livemode, checkAmount: query.SessionType != SessionType.Save);
        if (query.Requested.Count == 0)
        {
            return new PaymentChannelCheck(fitting, []);
        }

        var requested = query.Requested.ToHashSet(StringComparer.Ordinal);
        var offered = fitting.Select(m => m.ChannelCode).ToHashSet(StringComparer.Ordinal);
        return new PaymentChannelCheck(
            [.. fitting.Where(m => requested.Contains(m.ChannelCode))],
            [.. query.Requested.Where(code => !offered.Contains(code)).Distinct(StringComparer.Ordinal)]);
    }

    private List<AvailablePaymentMethod> Available(IEnumerable<string> enabled, string currency, long amount, bool livemode, bool checkAmount)
    {
        var wanted = enabled.ToHashSet(StringComparer.Ordinal);
        return
        [
            .. options.Value.Methods
                .Where(m => wanted.Contains(m.Id)
                    && providers.IsConfigured(m.Provider)
                    && providers.IsLive(m.Provider) == livemode
                    && Fits(m, currency, amount, checkAmount))
                .Select(m => new AvailablePaymentMethod(
                    m.Id, m.DisplayName.Length > 0 ? m.DisplayName : m.Id, m.Provider, m.Kind, m.EffectiveChannelCode)),
        ];
    }

    /// <summary>Whether the catalogue has a method with this id (configured provider or not).</summary>
    public bool Lists(string methodId) => Find(methodId) is not null;

    /// <summary>
    /// Why <paramref name="methodId"/> cannot be enabled for a business (one sentence), or null
    /// when it can: it must be in the catalogue and its provider configured.
    /// </summary>
    public string? RefusalToEnable(string methodId)
    {
        if (Find(methodId) is not { } method)
        {
            return $"Unknown payment method '{methodId}': it is not in the catalogue ({PaymentMethodCatalogOptions.Section}).";
        }

        return providers.IsConfigured(method.Provider)
            ? null
            : $"Payment method '{methodId}' cannot be enabled: its provider '{method.Provider}' is not configured ({PaymentProvidersOptions.Section}:{method.Provider}).";
    }

    private PaymentMethodOptions? Find(string methodId) =>
        options.Value.Methods.FirstOrDefault(m => string.Equals(m.Id, methodId, StringComparison.Ordinal));

    private static bool Fits(PaymentMethodOptions method, string currency, long amount, bool checkAmount) =>
        (method.Currencies.Count == 0 || method.Currencies.Contains(currency, StringComparer.OrdinalIgnoreCase))
        && (!checkAmount || ((method.MinAmount is null || amount >= method.MinAmount)
            && (method.MaxAmount is null || amount <= method.MaxAmount)));
}
