using PaySessions.Grains.Sessions;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// Xendit-dialect sessions for lifecycle tests, created through the session grain's Create (what
/// <c>POST /sessions</c> does once it has parsed a body): a PAY session of 10000.00 PHP with the
/// seed's facts, or a SAVE session of 0 IDR. One place to switch to <c>POST /sessions</c> later.
/// </summary>
public static class XenditTestSessions
{
    public const long PayAmount = 1000000;
    public const string PayCurrency = "PHP";
    public const string SaveCurrency = "IDR";

    public static async Task<string> Create(IGrainFactory grains, string businessId, SessionType type, DateTimeOffset? expiresAt = null)
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
