using System.Text.Json;
using System.Text.Json.Serialization;

namespace PaySessions.Api.OpenApi;

// The request bodies as the API description shows them. The handlers read the raw JSON document
// themselves (Payviox- and Xendit-style rules report field errors in their own words), so these
// types only describe; the rules are in PayvioxSessionRules and XenditSessionRules.

/// <summary><c>POST /session</c>: amounts in minor units; <c>paymentMethodId</c> redirects at once; <c>ip</c> (secret key only) binds the payer's address.</summary>
public sealed record CreateSessionRequest(
    long Amount,
    string Currency,
    string Customer,
    string OrderId,
    IReadOnlyList<CreateSessionRequest.Item> Items,
    string? Description = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    string? Ip = null,
    [property: JsonPropertyName("paymentMethodId")] string? PaymentMethodId = null)
{
    public sealed record Item(string Name, long Quantity, long Price);
}

/// <summary><c>POST /session/{id}/pay</c>: the method to pay with; <c>ip</c> (secret key only) is the payer's address.</summary>
public sealed record PaySessionRequest(
    [property: JsonPropertyName("paymentMethodId")] string PaymentMethodId,
    string? Ip = null);

/// <summary><c>POST /sessions</c>, as Xendit's "Create a session": amounts in the currency's major units.</summary>
public sealed record CreateXenditSessionRequest(
    string ReferenceId,
    string SessionType,
    string Mode,
    decimal Amount,
    string Currency,
    string Country,
    string? CustomerId = null,
    CreateXenditSessionRequest.NewCustomer? Customer = null,
    IReadOnlyList<string>? AllowedPaymentChannels = null,
    bool? AllowSavePaymentMethod = null,
    string? CaptureMethod = null,
    JsonElement? ChannelProperties = null,
    IReadOnlyList<CreateXenditSessionRequest.Item>? Items = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    string? Description = null,
    string? Locale = null,
    string? ExpiresAt = null,
    string? SuccessReturnUrl = null,
    string? CancelReturnUrl = null)
{
    /// <summary>A new customer, recorded by its <c>reference_id</c> (or reused when recorded with the same details).</summary>
    public sealed record NewCustomer(
        string ReferenceId,
        string Type,
        string? Email = null,
        string? MobileNumber = null,
        JsonElement? IndividualDetail = null);

    public sealed record Item(
        string ReferenceId,
        string Name,
        decimal NetUnitAmount,
        long Quantity,
        string? Type = null,
        string? Category = null,
        string? Subcategory = null,
        string? Url = null,
        string? ImageUrl = null,
        string? Description = null);
}
