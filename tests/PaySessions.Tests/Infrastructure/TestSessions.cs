using System.Security.Cryptography;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;

namespace PaySessions.Tests.Infrastructure;

/// <summary>Fresh ids and valid commands, so every test works on keys nobody else uses.</summary>
public static class TestSessions
{
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string NewBusiness() => "biz_" + Guid.NewGuid().ToString("N")[..12];

    public static CreateSession Command(string businessId, string? orderId = null, TimeSpan? expiresIn = null, DateTimeOffset? now = null) => new()
    {
        BusinessId = businessId,
        OrderId = orderId ?? "order_" + Guid.NewGuid().ToString("N")[..10],
        Customer = "customer_abc123",
        Amount = 10000,
        Currency = "USD",
        Items = [new LineItem("Premium Plan", 1, 10000)],
        Description = "Premium subscription",
        Metadata = new Dictionary<string, string> { ["user_id"] = "usr_123", ["plan"] = "premium" },
        ClientIp = "203.0.113.42",
        ExpiresAt = expiresIn is { } span ? (now ?? DateTimeOffset.UtcNow) + span : null,
    };

    public static Created CreatedEvent(string businessId, string orderId, DateTimeOffset at) => new()
    {
        EventId = Guid.NewGuid(),
        OccurredAt = at,
        BusinessId = businessId,
        OrderId = orderId,
        Customer = "customer_abc123",
        Amount = 10000,
        Currency = "USD",
        Items = [new LineItem("Premium Plan", 1, 10000)],
        ExpiresAt = at.AddHours(24),
        Dialect = SessionDialect.Payviox,
    };
}
