using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// <c>PaySessions:Xendit:MaxExpiry</c> and <c>DefaultExpiry</c>: a host of its own with a
/// two-hour ceiling and a one-hour default, and starts refused for combinations that cannot work.
/// </summary>
public sealed class XenditExpiryLimitsTests : IAsyncLifetime
{
    private readonly ApiFixture _api = new();

    public Task InitializeAsync() => _api.InitializeWith(new Dictionary<string, string?>
    {
        ["PaySessions:Xendit:MaxExpiry"] = "02:00:00",
        ["PaySessions:Xendit:DefaultExpiry"] = "01:00:00",
    });

    public Task DisposeAsync() => _api.DisposeAsync();

    [Fact]
    public async Task The_configured_default_and_ceiling_are_the_ones_applied()
    {
        var byDefault = await Bodies.Json(await Create(null));
        var withinCeiling = await Create(DateTimeOffset.UtcNow.AddMinutes(90));
        var pastCeiling = await Create(DateTimeOffset.UtcNow.AddMinutes(125));

        var created = DateTimeOffset.Parse(byDefault["created"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var expires = DateTimeOffset.Parse(byDefault["expires_at"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        Assert.InRange(expires - created, TimeSpan.FromMinutes(60) - TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(60));
        Assert.Equal(HttpStatusCode.Created, withinCeiling.StatusCode);
        Assert.Equal(
            (HttpStatusCode.BadRequest, """{"error_code":"INVALID_EXPIRY_DATE","message":"expires_at must be at most 120 minutes in the future"}"""),
            (pastCeiling.StatusCode, await pastCeiling.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("00:05:00", "00:05:00", "PaySessions:Xendit:MaxExpiry is 00:05:00; it must be at least 00:10:00")]
    [InlineData("00:30:00", "01:00:00", "PaySessions:Xendit:DefaultExpiry is 01:00:00; it must lie between 00:10:00 and PaySessions:Xendit:MaxExpiry (00:30:00)")]
    [InlineData("00:30:00", "00:09:00", "PaySessions:Xendit:DefaultExpiry is 00:09:00; it must lie between 00:10:00")]
    public async Task A_combination_that_cannot_work_stops_the_start_with_a_sentence_naming_the_key(string max, string byDefault, string message)
    {
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["PaySessions:Xendit:MaxExpiry"] = max,
            ["PaySessions:Xendit:DefaultExpiry"] = byDefault,
        }));

        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    private Task<HttpResponseMessage> Create(DateTimeOffset? expiresAt)
    {
        var body = new JsonObject
        {
            ["reference_id"] = "order_" + Guid.NewGuid().ToString("N")[..16],
            ["session_type"] = "PAY",
            ["mode"] = "PAYMENT_LINK",
            ["amount"] = 10000,
            ["currency"] = "IDR",
            ["country"] = "ID",
        };
        if (expiresAt is { } at)
        {
            body["expires_at"] = at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        return _api.Send(HttpMethod.Post, "/sessions", null, body.ToJsonString(), request =>
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(ApiFixture.DevSecretKey + ":"))));
    }
}
