using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>
/// Fees are facts: a payment's fee is decided when it completes and stored on Completed, so a
/// node started later with another fee schedule replays the same fee, while new payments pay the
/// new schedule.
/// </summary>
public sealed class FeeScheduleChangeTests
{
    private const string SecretKey = ApiFixture.DevSecretKey;

    [Fact]
    public async Task A_schedule_changed_after_completion_leaves_the_recorded_fee_as_it_was()
    {
        var identity = ClusterIdentity.New();
        string paidBefore;
        await using (var before = await TestHost.StartAsync(identity))
        {
            // The built-in sandbox_card: 2.9 % + 30 cents, so 100.00 USD costs 3.20.
            paidBefore = await CreateAndPay(before);
            Assert.Equal(320, await RecordedFee(before, paidBefore));
        }

        await using var after = await TestHost.StartAsync(identity, new Dictionary<string, string?>
        {
            ["PaySessions:PaymentMethods:0:Fees:Percent"] = "0.5",
            ["PaySessions:PaymentMethods:0:Fees:Static:USD"] = "999",
        });

        // The new node knows the new schedule and charges it to new payments ...
        var listed = JsonNode.Parse(await Send(after, HttpMethod.Get, "/payments/methods?currencies=USD", null))!;
        Assert.Equal("""{"static_fees":9.99,"percent_fees":0.5,"currency":"USD"}""", listed["sandbox_card"]!["fees"]!.ToJsonString());
        var paidAfter = await CreateAndPay(after);
        Assert.Equal(999 + 5000, await RecordedFee(after, paidAfter));

        // ... while the earlier payment, rebuilt from its stored rows, keeps the fee it completed with.
        Assert.Equal(320, await RecordedFee(after, paidBefore));
    }

    private static async Task<string> CreateAndPay(TestHost host)
    {
        var body = Bodies.SeedExample();
        var id = JsonNode.Parse(await Send(host, HttpMethod.Post, "/session", body.ToJsonString()))!["session_id"]!.GetValue<string>();
        var redirect = JsonNode.Parse(await Send(host, HttpMethod.Post, $"/session/{id}/pay", """{"paymentMethodId":"sandbox_card"}"""))!["redirect_url"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await host.Http.PostAsync(new Uri(redirect + "/approve"), null)).StatusCode);
        return id;
    }

    private static async Task<long?> RecordedFee(TestHost host, string id)
    {
        var events = await Eventually.Read(
            async () => JsonNode.Parse(await Send(host, HttpMethod.Get, $"/session/{id}/events", null))!["events"]!.AsArray(),
            e => e.Any(x => x!["type"]!.GetValue<string>() == "Completed"),
            TimeSpan.FromSeconds(10));
        return events.Single(e => e!["type"]!.GetValue<string>() == "Completed")!["data"]!["fees"]?.GetValue<long>();
    }

    private static async Task<string> Send(TestHost host, HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SecretKey);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text;
    }
}
