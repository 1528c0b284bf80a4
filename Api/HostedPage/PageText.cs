using System.Globalization;
using System.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.HostedPage;

/// <summary>The languages the hosted page speaks.</summary>
public enum PageLanguage
{
    English = 0,
    Indonesian = 1,
}

/// <summary>
/// The page's texts in one language, from the resource files beside this class
/// (<c>PageText.resx</c> in English, <c>PageText.id.resx</c> in Bahasa Indonesia).
/// </summary>
public sealed class PageText
{
    private static readonly ResourceManager Resources = new("PaySessions.Api.HostedPage.PageText", typeof(PageText).Assembly);

    private static readonly PageText EnglishText = new(PageLanguage.English, CultureInfo.GetCultureInfo("en"));
    private static readonly PageText IndonesianText = new(PageLanguage.Indonesian, CultureInfo.GetCultureInfo("id"));

    private readonly CultureInfo _culture;

    private PageText(PageLanguage language, CultureInfo culture)
    {
        Language = language;
        _culture = culture;
    }

    public PageLanguage Language { get; }

    /// <summary>The <c>lang</c> attribute of the page.</summary>
    public string Tag => Language == PageLanguage.Indonesian ? "id" : "en";

    public string this[string name] =>
        Resources.GetString(name, _culture) ?? throw new InvalidOperationException($"The page text '{name}' is missing from the resource files.");

    /// <summary>A text with placeholders (<c>{0}</c>) filled with values that are already text.</summary>
    public string Format(string name, params object[] values) => string.Format(CultureInfo.InvariantCulture, this[name], values);

    public static PageText For(PageLanguage language) => language == PageLanguage.Indonesian ? IndonesianText : EnglishText;

    /// <summary>
    /// Xendit-style sessions carry the language the merchant chose (<c>locale</c>); for
    /// Payviox-style sessions the browser's <c>Accept-Language</c> decides: the first of its
    /// languages (by weight, then order) that the page speaks, else English.
    /// </summary>
    public static PageText For(PaymentSessionSnapshot? session, HttpRequest request)
    {
        if (session?.Xendit is { } xendit)
        {
            return For(Parse(xendit.Locale) ?? PageLanguage.English);
        }

        return For(FromAcceptLanguage(request.Headers.AcceptLanguage.ToString()));
    }

    public static PageLanguage FromAcceptLanguage(string header)
    {
        if (!StringWithQualityHeaderValue.TryParseList([header], out var values))
        {
            return PageLanguage.English;
        }

        var ordered = values
            .Select((value, index) => (Language: Parse(value.Value.Value), Quality: value.Quality ?? 1, Index: index))
            .Where(v => v.Language is not null && v.Quality > 0)
            .OrderByDescending(v => v.Quality)
            .ThenBy(v => v.Index);
        return ordered.Select(v => v.Language).FirstOrDefault() ?? PageLanguage.English;
    }

    // "id", "id-ID", "in" (the old code for Indonesian); "en", "en-GB", … Anything else: not ours.
    private static PageLanguage? Parse(string? tag)
    {
        var primary = tag?.Split('-', 2)[0].Trim();
        return primary?.ToLowerInvariant() switch
        {
            "id" or "in" => PageLanguage.Indonesian,
            "en" => PageLanguage.English,
            _ => null,
        };
    }
}
