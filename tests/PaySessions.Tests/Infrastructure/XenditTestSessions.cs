using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PaySessions.Grains.Sessions;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// Xendit-dialect sessions for lifecycle tests: a PAY session of 10000.00 PHP (the seed's first
/// example) or a SAVE session of 0 IDR (its third), created over HTTP with <c>POST /sessions</c>
/// as a merchant creates them (<see cref="Create(ApiFixture, string, SessionType)"/>); and the same
/// through the session grain's Create for a test that needs an expiry sooner than the HTTP rules
/// allow (<see cref="CreateThroughGrain"/>).
/// </summary>
public static class XenditTestSessions
{
    public const long PayAmount = 1000000;
    public const string PayCurrency = "PHP";
    public const string SaveCurrency = "IDR";

    /// <summary>The seed's example with fresh references, sent with the business's secret key (Basic); the new session's id.</summary>
    public static async Task<string> Create(ApiFixture api, string secretKey, SessionType type)
    {
        var body = JsonNode.Parse(type == SessionType.Pay ? XenditSeedExamples.Pay : XenditSeedExamples.Save)!.AsObject();
        body["reference_id"] = "order_" + Guid.NewGuid().ToString("N")[..20];
        body["customer"]!["reference_id"] = "cust_" + Guid.NewGuid().ToString("N");
        var response = await api.Send(HttpMethod.Post, "/sessions", null, body.ToJsonString(), request =>
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(secretKey + ":"))));
        var answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, answer);
        return JsonNode.Parse(answer)!["payment_session_id"]!.GetValue<string>();
    }

    /// <summary>
    /// Through the grain's Create, what <c>POST /sessions</c> does once it has parsed a body: for an
    /// <paramref name="expiresAt"/> nearer than the 10 minutes the HTTP rules require.
    /// </summary>
    public static async Task<string> CreateThroughGrain(IGrainFactory grains, string businessId, SessionType type, DateTimeOffset? expiresAt = null)
    {
        var id = SessionIds.NewXendit();
        var details = type == SessionType.Pay
            ? new XenditSessionDetails
            {
                CustomerId = "cust-b98d6f63-d240-44ec-9bd5-aa42954c4f48",
                Mode = IntegrationMode.PaymentLink,
                CaptureMethod = CaptureMethod.Automatic,
                AllowSavePaymentMethod = SavePaymentMethod.Disabled,
                Country = "PH",
                Locale = "en",
                AmountAsSent = 10000.00m,
                SuccessReturnUrl = "https://yourcompany.com/success/example_item=my_item",
                CancelReturnUrl = "https://yourcompany.com/cancel/example_item=my_item",
                MetadataSent = true,
            }
            : new XenditSessionDetails
            {
                CustomerId = "cust-e2878b4c-d57e-4a2c-922d-c0313c2800a3",
                Mode = IntegrationMode.PaymentLink,
                AllowSavePaymentMethod = SavePaymentMethod.Forced,
                Country = "ID",
                AmountAsSent = 0m,
            };
        var created = await grains.GetGrain<IPaymentSessionGrain>(id).Create(new CreateSession
        {
            BusinessId = businessId,
            OrderId = (type == SessionType.Pay ? "order_pay_" : "order_save_") + Guid.NewGuid().ToString("N")[..12],
            Customer = details.CustomerId!,
            Amount = type == SessionType.Pay ? PayAmount : 0,
            Currency = type == SessionType.Pay ? PayCurrency : SaveCurrency,
            Items = [],
            Description = type == SessionType.Pay ? "Sample one-time payment using Payment Session" : "Insurance Plan Registration",
            Metadata = type == SessionType.Pay ? new Dictionary<string, string> { ["plan"] = "premium" } : new Dictionary<string, string>(),
            ExpiresAt = expiresAt,
            Dialect = SessionDialect.Xendit,
            SessionType = type,
            Xendit = details,
        });
        Assert.True(created.IsCreated, created.Message);
        return id;
    }
}
