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

    /// <summary>An absolute http(s) URL of the method's logo, shown to merchants' method pickers; none when unset.</summary>
    public string? Image { get; set; }

    /// <summary>ISO 3166-1 alpha-2 countries where the method is offered; empty means everywhere.</summary>
    public List<string> Countries { get; set; } = [];

    /// <summary>What a payment with this method costs the business; no fee when unset.</summary>
    public FeeScheduleOptions Fees { get; set; } = new();

    internal string EffectiveChannelCode => string.IsNullOrWhiteSpace(ChannelCode) ? Id.ToUpperInvariant() : ChannelCode.Trim();
}

/// <summary>
/// A method's fees (<c>PaySessions:PaymentMethods:&lt;n&gt;:Fees</c>): <see cref="Percent"/> of the
/// amount as a fraction (<c>0.029</c> is 2.9 %; none when unset) plus a static fee in minor units
/// per currency (<c>Static:USD = 30</c> is $0.30; a currency with no entry has none).
/// <see cref="Company"/> is what differs for company customers: its <c>Percent</c>, when set,
/// replaces the regular one, and its <c>Static</c> entries replace the regular ones currency by
/// currency; unset, company customers pay the regular schedule.
/// </summary>
public sealed class FeeScheduleOptions
{
    public decimal? Percent { get; set; }

    public Dictionary<string, long> Static { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public FeeScheduleOptions? Company { get; set; }

    internal FeeSchedule ToSchedule() => new(Normalized(Static), Percent ?? 0m);

    internal FeeSchedule ToCompanySchedule()
    {
        if (Company is not { } company)
        {
            return ToSchedule();
        }

        var fees = Normalized(Static);
        foreach (var (currency, fee) in Normalized(company.Static))
        {
            fees[currency] = fee;
        }

        return new FeeSchedule(fees, company.Percent ?? Percent ?? 0m);
    }

    private static Dictionary<string, long> Normalized(Dictionary<string, long> fees) =>
        fees.ToDictionary(fee => fee.Key.Trim().ToUpperInvariant(), fee => fee.Value, StringComparer.Ordinal);
}

public sealed class PaymentMethodCatalogOptions
{
    public const string Section = "PaySessions:PaymentMethods";

    public List<PaymentMethodOptions> Methods { get; set; } = [];
}

/// <summary>
/// The payment methods this deployment offers, which of them fit a session, and what each costs.
/// Everything is read from configuration once: a fee schedule asked for at every completion is
/// answered from memory, never from the database.
/// </summary>
public sealed class PaymentMethodCatalog(IOptions<PaymentMethodCatalogOptions> options, PaymentProviders providers) : IFeeSchedules
{
    // Each method's schedules and lists, built once from the options (which never change while
    // the process runs), so the hot paths only look them up.
    private readonly Lazy<Dictionary<string, MethodTerms>> _terms = new(() => BuildTerms(options.Value));

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

    /// <summary>
    /// The methods among <paramref name="enabled"/> whose provider is configured for the filter's
    /// mode and that pass its country and currency filters, with the schedule for its customer.
    /// A method that names no countries (or no currencies) is offered everywhere (takes every
    /// currency), so it passes that filter whatever was asked.
    /// </summary>
    public IReadOnlyList<PaymentMethodListing> List(IEnumerable<string> enabled, PaymentMethodFilter filter)
    {
        var wanted = enabled.ToHashSet(StringComparer.Ordinal);
        var listed = new List<PaymentMethodListing>();
        foreach (var method in options.Value.Methods)
        {
            if (!wanted.Contains(method.Id) || !providers.IsConfigured(method.Provider) || providers.IsLive(method.Provider) != filter.Livemode)
            {
                continue;
            }

            var terms = _terms.Value[method.Id];
            if (Overlaps(terms.Countries, filter.Countries) && Overlaps(terms.Currencies, filter.Currencies))
            {
                listed.Add(new PaymentMethodListing(
                    method.Id,
                    method.DisplayName.Length > 0 ? method.DisplayName : method.Id,
                    string.IsNullOrWhiteSpace(method.Image) ? null : method.Image.Trim(),
                    terms.Countries,
                    terms.Currencies,
                    filter.IsCompany ? terms.Company : terms.Regular));
            }
        }

        return listed;
    }

    /// <inheritdoc />
    public FeeSchedule? ScheduleOf(string paymentMethodId, bool isCompany) =>
        _terms.Value.TryGetValue(paymentMethodId, out var terms) ? (isCompany ? terms.Company : terms.Regular) : null;

    // An empty side does not narrow: no filter asked, or a method for every country (currency).
    private static bool Overlaps(string[] offered, IReadOnlyList<string> asked) =>
        offered.Length == 0 || asked.Count == 0 || asked.Any(offered.Contains);

    private static Dictionary<string, MethodTerms> BuildTerms(PaymentMethodCatalogOptions catalog)
    {
        var terms = new Dictionary<string, MethodTerms>(StringComparer.Ordinal);
        foreach (var method in catalog.Methods)
        {
            // The first entry of an id wins, as in every other lookup of the catalogue.
            terms.TryAdd(method.Id, new MethodTerms(
                [.. method.Countries.Select(Code)],
                [.. method.Currencies.Select(Code)],
                method.Fees.ToSchedule(),
                method.Fees.ToCompanySchedule()));
        }

        return terms;
    }

    private static string Code(string code) => code.Trim().ToUpperInvariant();

    private sealed record MethodTerms(string[] Countries, string[] Currencies, FeeSchedule Regular, FeeSchedule Company);

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

/// <summary>
/// Refuses a catalogue a merchant could not trust, at start-up: countries and currencies must be
/// codes the service knows (ISO 3166-1 alpha-2, current ISO 4217), a fee fraction within 0 to 1,
/// a static fee within 0 to the largest amount a session may have and in a known currency, and an
/// image an absolute http(s) URL.
/// </summary>
public sealed class PaymentMethodCatalogOptionsValidator : IValidateOptions<PaymentMethodCatalogOptions>
{
    // The largest amount a Payviox-style session may have (minor units): no fee is ever above it.
    private const long MaxStaticFee = 999_999_999_999;

    public ValidateOptionsResult Validate(string? name, PaymentMethodCatalogOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Methods.Count; i++)
        {
            var method = options.Methods[i];
            var key = $"{PaymentMethodCatalogOptions.Section}:{i}";
            failures.AddRange(method.Countries
                .Where(c => !Money.Countries.IsKnown(c.Trim().ToUpperInvariant()))
                .Select(c => $"{key}:Countries: '{c}' is not an ISO 3166-1 alpha-2 country code."));
            failures.AddRange(method.Currencies
                .Where(c => !Money.Currencies.IsKnown(c.Trim().ToUpperInvariant()))
                .Select(c => $"{key}:Currencies: '{c}' is not a current ISO 4217 currency code."));
            if (!string.IsNullOrWhiteSpace(method.Image)
                && !(Uri.TryCreate(method.Image.Trim(), UriKind.Absolute, out var image) && (image.Scheme == Uri.UriSchemeHttps || image.Scheme == Uri.UriSchemeHttp)))
            {
                failures.Add($"{key}:Image must be an absolute http(s) URL.");
            }

            CheckFees(method.Fees, $"{key}:Fees", failures);
            if (method.Fees.Company is { } company)
            {
                CheckFees(company, $"{key}:Fees:Company", failures);
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckFees(FeeScheduleOptions fees, string key, List<string> failures)
    {
        if (fees.Percent is < 0m or > 1m)
        {
            failures.Add($"{key}:Percent must be a fraction from 0 to 1 (0.029 is 2.9 %), not {fees.Percent}.");
        }

        foreach (var (currency, fee) in fees.Static)
        {
            if (!Money.Currencies.IsKnown(currency.Trim().ToUpperInvariant()))
            {
                failures.Add($"{key}:Static: '{currency}' is not a current ISO 4217 currency code.");
            }

            if (fee is < 0 or > MaxStaticFee)
            {
                failures.Add($"{key}:Static:{currency} must be from 0 to {MaxStaticFee} minor units, not {fee}.");
            }
        }
    }
}
