using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using PaySessions.Grains;
using PaySessions.Grains.Payments;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Database;

/// <summary>
/// Grain storage (businesses, API keys, sandbox payments) during a database outage, seen through
/// the sandbox checkout's approve, a write to grain storage: a write that fails is answered 503
/// with <c>Retry-After</c>, the grain keeps no state that was not stored (it reads afresh), and a
/// write whose stored version moved on under it (what a write that committed but lost its answer
/// leaves behind) is a 503 too and does not wedge the grain. The server is the test's own.
/// </summary>
public sealed class GrainStorageOutageTests
{
    [Fact]
    public async Task A_sandbox_decision_whose_write_fails_is_answered_503_and_the_grain_keeps_only_what_is_stored()
    {
        await using var server = await TestDatabase.StartOwnServerAsync();
        await using var host = await TestHost.StartAsync(connectionString: server.ConnectionString);
        var redirect = await Pay(host, await Create(host));
        var sandbox = host.Grains.GetGrain<ISandboxPaymentGrain>(Sandbox.ReferenceFrom(redirect));
        Assert.Equal("pending", (await sandbox.GetPayment())!.Status);

        await server.StopAsync();
        var duringOutage = await host.Http.PostAsync(new Uri(redirect + "/approve"), null);
        await server.StartAgainAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, duringOutage.StatusCode);
        Assert.NotNull(duringOutage.Headers.RetryAfter);
        var afterOutage = await Eventually.Read(() => PaymentOrNull(sandbox), p => p is not null, TimeSpan.FromSeconds(60));
        Assert.Equal("pending", afterOutage!.Status);
        // The decision is stored, then sent to the service as the provider's webhook; just after
        // the restart that webhook may meet a broken pooled connection, and the sandbox answers
        // 502 "press the same button again to resend" (found by CI): pressing again is the documented way.
        var approved = await Eventually.Read(() => Approve(host, redirect), r => r.StatusCode != HttpStatusCode.BadGateway, TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.SeeOther, approved.StatusCode);
        Assert.Equal("approved", (await sandbox.GetPayment())!.Status);
    }

    [Fact]
    public async Task A_write_whose_stored_version_moved_on_is_answered_503_and_the_next_try_reads_afresh()
    {
        await using var host = await TestHost.StartAsync();
        var redirect = await Pay(host, await Create(host));
        var reference = Sandbox.ReferenceFrom(redirect);
        var sandbox = host.Grains.GetGrain<ISandboxPaymentGrain>(reference);
        Assert.Equal("pending", (await sandbox.GetPayment())!.Status);

        // Another write of the same record behind the active grain's back: its etag is now stale,
        // as after a write of its own that committed but whose answer the broken connection lost.
        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Merchants);
        var grainId = ((GrainReference)sandbox).GrainId;
        var stored = new GrainState<SandboxPayment>();
        await storage.ReadStateAsync("sandbox", grainId, stored);
        stored.State = stored.State! with { Description = "changed behind the grain's back" };
        await storage.WriteStateAsync("sandbox", grainId, stored);

        var conflicted = await host.Http.PostAsync(new Uri(redirect + "/approve"), null);
        var again = await Approve(host, redirect);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, conflicted.StatusCode);
        Assert.NotNull(conflicted.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.SeeOther, again.StatusCode);
        var payment = (await sandbox.GetPayment())!;
        Assert.Equal("approved", payment.Status);
        Assert.Equal("changed behind the grain's back", payment.Description);
    }

    // The first reads after the restart may meet connections the restart broke: read again.
    private static async Task<SandboxPayment?> PaymentOrNull(ISandboxPaymentGrain sandbox)
    {
        try
        {
            return await sandbox.GetPayment();
        }
        catch (Exception e) when (PaySessions.Api.Http.TransientFailures.IsTransient(e))
        {
            return null;
        }
    }

    private static async Task<HttpResponseMessage> Approve(TestHost host, string redirect)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        return await client.PostAsync(new Uri(redirect + "/approve"), null);
    }

    private static async Task<string> Create(TestHost host)
    {
        var response = await Send(host, "/session", Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }

    private static async Task<string> Pay(TestHost host, string id)
    {
        var response = await Send(host, $"/session/{id}/pay", """{"paymentMethodId":"sandbox_card"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Bodies.Json(response))["redirect_url"]!.GetValue<string>();
    }

    private static async Task<HttpResponseMessage> Send(TestHost host, string path, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiFixture.DevSecretKey);
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return await host.Http.SendAsync(request);
    }
}
