using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>
/// The payer's personal data (browser, address the merchant gave, what the provider reported about
/// the payer) is stored and shown to the session's owner, never logged: a host logging everything,
/// at every level, takes a payment carrying all of it, including a malformed block whose drop is
/// logged, and its whole output is searched for each value.
/// </summary>
public sealed class PayerDataInLogsTests
{
    [Fact]
    public async Task No_user_agent_payer_ip_or_provider_reported_detail_appears_in_any_log_line()
    {
        var marker = Guid.NewGuid().ToString("N")[..12];
        var agent = $"Mozilla/5.0 (LoggedBrowser {marker})";
        var payerIp = "198.51.100.203";
        var email = $"payer.{marker}@example.com";
        var street = $"{marker} Hidden Lane";
        var logs = new CapturedLogs();
        await using (var host = await TestHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace" },
            configure: builder => builder.Logging.AddProvider(logs)))
        {
            var created = await Send(host, HttpMethod.Post, "/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString(), null);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (await Bodies.Json(created))["session_id"]!.GetValue<string>();
            var pay = await Send(host, HttpMethod.Post, $"/session/{id}/pay", ApiFixture.DevPublicKey, """{"paymentMethodId":"sandbox_card"}""", agent);
            Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
            var other = await Bodies.Json(await Send(host, HttpMethod.Post, "/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString(), null));
            var fromServer = await Send(
                host, HttpMethod.Post, $"/session/{other["session_id"]!.GetValue<string>()}/pay", ApiFixture.DevSecretKey,
                $$"""{"paymentMethodId":"sandbox_card","ip":"{{payerIp}}"}""", null);
            Assert.Equal(HttpStatusCode.OK, fromServer.StatusCode);

            var reference = Sandbox.ReferenceFrom((await Bodies.Json(pay))["redirect_url"]!.GetValue<string>());
            var report = Sandbox.SuccessWithDetails(
                reference,
                new JsonObject { ["name"] = $"Payer {marker}", ["email"] = email, ["address"] = new JsonObject { ["line1"] = street } },
                new JsonObject { ["type"] = "card", ["card"] = new JsonObject { ["last4"] = marker[..6] } });
            Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(host.Http, report, Sandbox.Sign(report))).StatusCode);

            var payment = await Bodies.Json(await Send(host, HttpMethod.Get, $"/payment/{id}", ApiFixture.DevSecretKey, null, null));
            Assert.Equal(agent, payment["user_agent"]!.GetValue<string>());
            Assert.Equal(email, payment["customer_details"]!["email"]!.GetValue<string>());
        }

        var text = logs.Text;
        Assert.Contains("Handled PaySession in", text, StringComparison.Ordinal);
        Assert.Contains("malformed payment_details", text, StringComparison.Ordinal);
        foreach (var personal in new[] { marker, payerIp, email, street })
        {
            Assert.DoesNotContain(personal, text, StringComparison.Ordinal);
        }
    }

    private static async Task<HttpResponseMessage> Send(TestHost host, HttpMethod method, string path, string key, string? body, string? userAgent)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await host.Http.SendAsync(request);
    }
}
