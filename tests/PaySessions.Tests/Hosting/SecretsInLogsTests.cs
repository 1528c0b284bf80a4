using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>
/// API keys, webhook secrets and callback tokens never reach the logs: a host logging everything, at every level,
/// is used the way a merchant uses it (keys good, unknown, malformed and revoked; a webhook sent)
/// and its whole output is searched for each secret in every encoding.
/// </summary>
public sealed class SecretsInLogsTests
{
    [Fact]
    public async Task No_api_key_or_webhook_secret_appears_in_any_log_line()
    {
        var logs = new CapturedLogs();
        await using var receiver = await WebhookReceiver.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["PaySessions:Webhooks:PollInterval"] = "00:00:00.100",
        };
        string unknownKey = "sk_test_" + new string('Q', 16) + Guid.NewGuid().ToString("N")[..16];
        IssuedKeys keys;
        string webhookSecret;
        string oldToken;
        string callbackToken;
        await using (var host = await TestHost.StartAsync(settings: settings, configure: builder => builder.Logging.AddProvider(logs)))
        {
            var business = host.Grains.GetGrain<IBusinessGrain>(TestSessions.NewBusiness());
            await business.Register("Logged Shop");
            keys = await business.IssueKeys(ApiKeyMode.Test);
            await business.EnablePaymentMethods(["sandbox_card"]);
            webhookSecret = await business.ReceiveWebhooks(receiver.Url, "session.payment_initiated", "session.canceled");

            // Issued, rotated, and read by the webhook side with every delivery.
            oldToken = (await business.RotateCallbackToken()).Token!;
            callbackToken = (await business.RotateCallbackToken()).Token!;

            var body = Bodies.SeedExample();
            var created = await Send(host, HttpMethod.Post, "/session", keys.SecretKey, body.ToJsonString());
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (await Bodies.Json(created))["session_id"]!.GetValue<string>();
            Assert.Equal(HttpStatusCode.Created, (await Send(host, HttpMethod.Post, "/session", keys.PublicKey, Bodies.SeedExample().ToJsonString())).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await Send(host, HttpMethod.Post, "/session", keys.SecretKey, body.ToJsonString())).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Send(host, HttpMethod.Get, $"/session/{id}", keys.SecretKey, null)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Send(host, HttpMethod.Post, $"/session/{id}/pay", keys.PublicKey, """{"paymentMethodId":"sandbox_card"}""")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Send(host, HttpMethod.Get, $"/session/{id}", unknownKey, null)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Send(host, HttpMethod.Get, $"/session/{id}", keys.SecretKey + "x", null)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Send(host, HttpMethod.Post, $"/session/{id}/cancel", keys.SecretKey, "")).StatusCode);
            Assert.True(await business.RevokeKey(ApiKeys.Hash(keys.SecretKey)));
            Assert.Equal(HttpStatusCode.Unauthorized, (await Send(host, HttpMethod.Get, $"/session/{id}", keys.SecretKey, null)).StatusCode);

            // A Xendit-dialect session paid through the sandbox: its webhook carries the callback token.
            var xendit = await XenditTestSessions.CreateThroughGrain(host.Grains, business.GetPrimaryKeyString(), SessionType.Pay);
            var started = await host.Grains.InitiatePayment(xendit, new InitiatePayment("sandbox_card", null));
            // Not followed: once completed, the page sends the customer on to the shop, off loopback.
            using (var customer = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }))
            {
                Assert.Equal(HttpStatusCode.SeeOther, (await customer.PostAsync(new Uri(started.RedirectUrl + "/approve"), null)).StatusCode);
            }

            // Signed with the webhook secret, then sent: the dispatcher has had the secret and the token in hand.
            await receiver.WaitFor(d => d.Count >= 2 && d.Any(x => x.CallbackToken == callbackToken), TimeSpan.FromSeconds(30));
        }

        var text = logs.Text;

        // The capture works and reaches the levels below Information (else the search proves nothing).
        Assert.Contains("order id already used", text, StringComparison.Ordinal);
        Assert.Contains("Debug ", text, StringComparison.Ordinal);
        Assert.Contains("Trace ", text, StringComparison.Ordinal);
        Assert.True(receiver.Deliveries.Count >= 2);
        Assert.Contains(receiver.Deliveries, d => d.CallbackToken == callbackToken);
        foreach (var secret in new[] { keys.SecretKey, keys.PublicKey, unknownKey, webhookSecret, oldToken, callbackToken })
        {
            StoredSecrets.AssertAbsent(text, secret);
        }
    }

    private static async Task<HttpResponseMessage> Send(TestHost host, HttpMethod method, string path, string key, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await host.Http.SendAsync(request);
    }
}
