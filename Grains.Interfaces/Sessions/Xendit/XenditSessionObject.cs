using System.Globalization;
using System.Text.Json;

namespace PaySessions.Grains.Sessions.Xendit;

/// <summary>
/// The Xendit-style session object: every field of the seed's response example, in its names
/// (snake case, by the API's JSON policy) and types, and <c>manual_review</c> (ours, as on the
/// Payviox session). The 201 of <c>POST /sessions</c>, the answer
/// of <c>GET /sessions/{id}</c> and of its cancel, and the <c>data</c> of that dialect's merchant
/// webhooks are all this one rendering: it lives beside the snapshot it reads so that both the
/// front door and the grains (which write webhook bodies) can use it.
/// </summary>
public sealed record XenditSessionObject(
    string PaymentSessionId,
    string Created,
    string Updated,
    string ReferenceId,
    string? CustomerId,
    string SessionType,
    string? AllowSavePaymentMethod,
    string Currency,
    decimal Amount,
    string Country,
    string Mode,
    string? CaptureMethod,
    JsonElement ChannelProperties,
    IReadOnlyList<string> AllowedPaymentChannels,
    string ExpiresAt,
    string Locale,
    IReadOnlyDictionary<string, string>? Metadata,
    string? Description,
    IReadOnlyList<XenditSessionObject.Item>? Items,
    string? SuccessReturnUrl,
    string? CancelReturnUrl,
    string Status,
    string PaymentLinkUrl,
    string? PaymentTokenId,
    string? PaymentId,
    string? PaymentRequestId,
    string BusinessId,
    bool ManualReview)
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>
    /// <paramref name="session"/> (a Xendit-dialect one: <see cref="PaymentSessionSnapshot.Xendit"/>
    /// set) as the object; <paramref name="links"/> makes its absolute <c>payment_link_url</c>.
    /// </summary>
    public static XenditSessionObject From(PaymentSessionSnapshot session, PaymentLinks links)
    {
        var x = session.Xendit ?? throw new ArgumentException($"Session {session.SessionId} is not a Xendit-style session.", nameof(session));
        var completed = session.Status == SessionStatus.Completed ? session.Payment : null;
        return new(
            session.SessionId,
            Time(session.CreatedAt),
            Time(session.ClosedAt ?? session.Payment?.CompletedAt ?? session.CreatedAt),
            session.OrderId,
            x.CustomerId,
            session.SessionType == Grains.Sessions.SessionType.Save ? "SAVE" : "PAY",
            x.AllowSavePaymentMethod?.ToString().ToUpperInvariant(),
            session.Currency,
            // As sent (exactly the major units the merchant wrote), else the minor units read back.
            x.AmountAsSent,
            x.Country,
            x.Mode == IntegrationMode.Components ? "COMPONENTS" : "PAYMENT_LINK",
            x.CaptureMethod?.ToString().ToUpperInvariant(),
            x.ChannelProperties is { } raw ? JsonDocument.Parse(raw).RootElement.Clone() : EmptyObject,
            x.AllowedPaymentChannels,
            Time(session.ExpiresAt),
            x.Locale,
            x.MetadataSent ? session.Metadata : null,
            session.Description,
            x.Items?.Select(Item.From).ToList(),
            x.SuccessReturnUrl,
            x.CancelReturnUrl,
            StatusOf(session.Status),
            links.For(session.SessionId),
            // Set once COMPLETED: a SAVE session with the method it saved, a PAY session with its
            // payment and the payment request (attempt) that made it (and a token if the provider
            // also saved the method).
            PaymentTokenId: completed?.PaymentTokenId,
            PaymentId: session.SessionType == Grains.Sessions.SessionType.Pay ? completed?.PaymentId : null,
            PaymentRequestId: session.SessionType == Grains.Sessions.SessionType.Pay ? completed?.PaymentRequestId : null,
            session.BusinessId,
            // Ours, beyond the seed (as on the Payviox session): a late payment left for an operator
            // (the manual policy, or a refund that failed), as the session listing's filter reads it.
            session.ManualReview);
    }

    /// <summary>ACTIVE while a payment may still come (created, or a payment started), else the end state.</summary>
    public static string StatusOf(SessionStatus status) => status switch
    {
        SessionStatus.Completed => "COMPLETED",
        SessionStatus.Expired => "EXPIRED",
        SessionStatus.Canceled => "CANCELED",
        _ => "ACTIVE",
    };

    /// <summary>
    /// The JSON form of the object: the front door's (snake case names, dictionary keys as sent).
    /// Webhook bodies are written with it, so their <c>data</c> is byte for byte what GET answers.
    /// </summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
    };

    /// <summary>UTC, ISO 8601 with a Z, milliseconds only when there are any (the seed's 2021-12-31T23:59:59Z).</summary>
    public static string Time(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>One item as sent; amounts in major units, exactly.</summary>
    public sealed record Item(
        string ReferenceId,
        string? Type,
        string Name,
        decimal NetUnitAmount,
        long Quantity,
        string Category,
        string? Subcategory,
        string? Description,
        string? Url,
        string? ImageUrl,
        string? Currency,
        IReadOnlyDictionary<string, string>? Metadata)
    {
        public static Item From(XenditItem item) => new(
            item.ReferenceId,
            item.Type is { } type ? TypeName(type) : null,
            item.Name,
            item.NetUnitAmount,
            item.Quantity,
            item.Category,
            item.Subcategory,
            item.Description,
            item.Url,
            item.ImageUrl,
            item.Currency,
            item.Metadata);

        private static string TypeName(XenditItemType type) => type switch
        {
            XenditItemType.DigitalProduct => "DIGITAL_PRODUCT",
            XenditItemType.PhysicalProduct => "PHYSICAL_PRODUCT",
            XenditItemType.DigitalService => "DIGITAL_SERVICE",
            XenditItemType.PhysicalService => "PHYSICAL_SERVICE",
            _ => "FEE",
        };
    }
}

/// <summary>
/// The hosted page of a session, absolute on <c>PaySessions:PublicBaseUrl</c> (the same setting the
/// providers' return and webhook addresses use; default <c>http://localhost:5080</c>). One instance
/// per host, registered by both the front door and the silo from that setting.
/// </summary>
public sealed class PaymentLinks(string? publicBaseUrl)
{
    /// <summary>The configuration key of the public base URL.</summary>
    public const string PublicBaseUrlKey = "PaySessions:PublicBaseUrl";

    public const string DefaultPublicBaseUrl = "http://localhost:5080";

    private readonly string _base = (string.IsNullOrEmpty(publicBaseUrl) ? DefaultPublicBaseUrl : publicBaseUrl).TrimEnd('/');

    public string For(string sessionId) => $"{_base}/pay/{sessionId}";
}
