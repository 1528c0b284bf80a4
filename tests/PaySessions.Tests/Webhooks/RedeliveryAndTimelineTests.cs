using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;
using StandardWebhooks;

namespace PaySessions.Tests.Webhooks;

/// <summary>
/// Redelivery (single and bulk, the business boundary, the record of who asked) and the session
/// timeline, over real HTTP on a host of its own that retries webhooks fast, with the sandbox's
/// signed callbacks and a loopback receiver.
/// </summary>
public sealed class RedeliveryAndTimelineTests : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);
    private readonly ApiFixture _api = new();

    public Task InitializeAsync() => _api.InitializeWith(TestMerchants.FastRetries());

    public Task DisposeAsync() => _api.DisposeAsync();

    [Fact]
    public async Task The_timeline_shows_forged_accepted_and_duplicate_callbacks_failed_and_delivered_attempts_and_a_redelivery_in_time_order()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 1);
        var keys = await _api.NewBusiness("Timeline Shop");
        var business = _api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId);
        await business.EnablePaymentMethods(["sandbox_card"]);
        var secret = await business.ReceiveWebhooks(receiver.Url);
        var id = await Create(keys.SecretKey);
        var pay = await Bodies.Json(await _api.Post($"/session/{id}/pay", keys.SecretKey, """{"paymentMethodId":"sandbox_card"}"""));
        var reference = Sandbox.ReferenceFrom(pay["redirect_url"]!.GetValue<string>());

        var paid = Sandbox.Body(reference, succeeded: true, paymentId: "pay_timeline_1");
        var forgedSignature = Sandbox.Sign(paid, secret: "whsec_attacker");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Sandbox.Deliver(_api.Host.Http, paid, forgedSignature)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(_api.Host.Http, paid, Sandbox.Sign(paid))).StatusCode);
        var first = await receiver.WaitFor(d => d.Any(x => x.AnsweredWith == 200), Within);
        Assert.Equal([500, 200], first.Select(d => d.AnsweredWith));
        var webhookId = first[0].WebhookId;
        await WaitForStatus(id, keys.SecretKey, "delivered", webhookId);

        // The provider sends the same report again (once the webhook is out, so the order is known).
        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(_api.Host.Http, paid, Sandbox.Sign(paid))).StatusCode);

        var redelivered = await _api.Post($"/webhooks/deliveries/{webhookId}/redeliver", keys.SecretKey, "");
        var answer = await Bodies.Json(redelivered);
        Assert.Equal(HttpStatusCode.OK, redelivered.StatusCode);
        Assert.Equal(webhookId, answer["id"]!.GetValue<string>());
        Assert.Equal("delivered", answer["previous_status"]!.GetValue<string>());
        var all = await receiver.WaitFor(d => d.Count(x => x.AnsweredWith == 200) >= 2, Within);
        Assert.Equal([500, 200, 200], all.Select(d => d.AnsweredWith));

        // The redelivery is the same event: the same webhook-id and body, and it verifies like the first.
        Assert.Single(all.Select(d => d.WebhookId).Distinct());
        Assert.Single(all.Select(d => d.Body).Distinct());
        new StandardWebhook(Grains.Webhooks.StandardWebhookSignature.LibrarySecret(secret)).Verify(all[2].Body, all[2].Headers!);
        await Eventually.Read(
            async () => (await Bodies.Json(await _api.Get($"/session/{id}/webhooks", keys.SecretKey)))["webhooks"]!.AsArray()
                .Single(w => w!["id"]!.GetValue<string>() == webhookId)!["attempts"]!.AsArray().Count,
            count => count == 3,
            Within);

        var response = await _api.Get($"/session/{id}/timeline", keys.SecretKey);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var timeline = JsonNode.Parse(text)!["timeline"]!.AsArray();
        var lines = timeline.Select(Describe).ToList();

        // Times never go back.
        var times = timeline.Select(e => DateTimeOffset.Parse(e!["at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.OrderBy(t => t), times);

        string[] expected =
        [
            "event Created",
            "event PaymentInitiated",
            "provider_callback rejected bad_signature",
            "provider_callback accepted completed",
            "event Completed",
            "webhook_attempt succeeded 1 500",
            "webhook_attempt succeeded 2 200",
            "provider_callback duplicate",
            "webhook_redelivery succeeded delivered",
            "webhook_attempt succeeded 3 200",
        ];
        Assert.Equal(expected, lines.Where(expected.Contains));

        // Relative order where the timestamps could tie: the callback before the event it caused.
        Assert.True(lines.IndexOf("provider_callback accepted completed") < lines.IndexOf("event Completed"), string.Join(" | ", lines));

        var forged = timeline.Single(e => Describe(e) == "provider_callback rejected bad_signature")!["provider_callback"]!;
        Assert.Equal(reference, forged["reference"]!.GetValue<string>());
        Assert.Equal("sandbox", forged["provider"]!.GetValue<string>());
        var attempt = timeline.First(e => e!["kind"]!.GetValue<string>() == "webhook_attempt")!["webhook_attempt"]!;
        Assert.Equal(webhookId, attempt["webhook_id"]!.GetValue<string>());
        Assert.True(attempt["latency_ms"]!.GetValue<int>() >= 0);
        var redelivery = timeline.Single(e => e!["kind"]!.GetValue<string>() == "webhook_redelivery")!["webhook_redelivery"]!;
        Assert.Equal($"sk_test key sha256:{ApiKeys.Hash(keys.SecretKey)}", redelivery["requested_by"]!.GetValue<string>());
        Assert.False(redelivery["bulk"]!.GetValue<bool>());

        // No secret and no signature in it.
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(keys.SecretKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(forgedSignature.Split("v1=")[1], text, StringComparison.Ordinal);

        // Own business only, and the other dialect's route does not serve this session.
        var other = await _api.NewBusiness("Other Timeline Shop");
        Assert.Equal(HttpStatusCode.NotFound, (await _api.Get($"/session/{id}/timeline", other.SecretKey)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.Get($"/session/{id}/timeline", keys.PublicKey)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.Send(HttpMethod.Get, $"/sessions/{id}/timeline", null, null, Basic(keys.SecretKey))).StatusCode);
    }

    [Fact]
    public async Task A_xendit_session_has_its_timeline_on_the_sessions_route_for_its_business_and_its_parent_through_for_user_id()
    {
        var parent = await _api.NewBusiness("Timeline Parent");
        var (code, output) = await MerchantsCli.Run(_api.Host, "merchants", "create", "--name", "Timeline Child", "--parent", parent.BusinessId);
        Assert.True(code == 0, output);
        var childId = System.Text.RegularExpressions.Regex.Match(output, @"business_id: (\S+)").Groups[1].Value;
        var childKey = System.Text.RegularExpressions.Regex.Match(output, @"sk_test_\S+").Value;
        await _api.Host.Grains.GetGrain<IBusinessGrain>(childId).EnablePaymentMethods(["sandbox_card"]);
        var id = await XenditTestSessions.Create(_api, childKey, Grains.Sessions.SessionType.Pay);

        var own = await _api.Send(HttpMethod.Get, $"/sessions/{id}/timeline", null, null, Basic(childKey));
        var forUser = await _api.Send(HttpMethod.Get, $"/sessions/{id}/timeline", null, null, request =>
        {
            Basic(parent.SecretKey)(request);
            request.Headers.Add("for-user-id", childId);
        });
        var parentAlone = await _api.Send(HttpMethod.Get, $"/sessions/{id}/timeline", null, null, Basic(parent.SecretKey));
        // The Payviox-style route serves every session of the business, as /session/{id}/events does.
        var payvioxRoute = await _api.Get($"/session/{id}/timeline", childKey);

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.OK, forUser.StatusCode);
        var entries = (await Bodies.Json(forUser))["timeline"]!.AsArray();
        Assert.Equal("event Created", Describe(entries[0]));
        Assert.Equal(HttpStatusCode.NotFound, parentAlone.StatusCode);
        Assert.Equal("DATA_NOT_FOUND", (await Bodies.Json(parentAlone))["error_code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, payvioxRoute.StatusCode);
    }

    [Fact]
    public async Task Bulk_redelivery_takes_the_callers_matching_undelivered_webhooks_a_bounded_number_at_a_time()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var mine = await _api.NewBusiness("Bulk Shop");
        var theirs = await _api.NewBusiness("Neighbour Shop");
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await CreateAndCancel(mine.SecretKey));
        }

        var theirId = await CreateAndCancel(theirs.SecretKey);

        // No URL yet: every delivery is recorded and skipped.
        foreach (var id in ids)
        {
            await WaitForStatus(id, mine.SecretKey, "skipped");
        }

        await WaitForStatus(theirId, theirs.SecretKey, "skipped");
        await _api.Host.Grains.GetGrain<IBusinessGrain>(mine.BusinessId).ReceiveWebhooks(receiver.Url, "session.canceled");
        await _api.Host.Grains.GetGrain<IBusinessGrain>(theirs.BusinessId).ReceiveWebhooks(receiver.Url, "session.canceled");
        var ended = DateTimeOffset.UtcNow.AddSeconds(1);

        // Bad filters: every field error at once, nothing redelivered.
        var bad = await _api.Post("/webhooks/deliveries/redeliver", mine.SecretKey, """{"limit":0,"created_from":"yesterday","only_undelivered":"yes","type":""}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = await Bodies.Json(bad);
        Assert.Equal(["created_from", "limit", "only_undelivered", "type"], errors.Select(e => e.Key).Order());
        Assert.Equal(HttpStatusCode.BadRequest, (await _api.Post("/webhooks/deliveries/redeliver", mine.SecretKey, """{"limit":101}""")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _api.Post("/webhooks/deliveries/redeliver", mine.SecretKey, "[]")).StatusCode);

        // Filters that match none of mine.
        Assert.Equal(0, await Redelivered(mine.SecretKey, """{"type":"succeeded"}"""));
        Assert.Equal(0, await Redelivered(mine.SecretKey, $$"""{"created_to":"{{Rfc3339(started)}}"}"""));
        Assert.Empty(receiver.Deliveries);

        // Two at a time: the answer says more matched and where to go on from.
        var window = $"\"created_from\":\"{Rfc3339(started)}\",\"created_to\":\"{Rfc3339(ended)}\",\"type\":\"session.canceled\"";
        var firstPage = await Bodies.Json(await _api.Post("/webhooks/deliveries/redeliver", mine.SecretKey, $$"""{{{window}},"limit":2}"""));
        Assert.Equal(2, firstPage["redelivered"]!.GetValue<int>());
        Assert.True(firstPage["has_more"]!.GetValue<bool>());
        var next = firstPage["next_created_from"]!.GetValue<string>();
        var secondPage = await _api.Send(HttpMethod.Post, "/webhooks/deliveries/redeliver", null,
            $$"""{"created_from":"{{next}}","created_to":"{{Rfc3339(ended)}}","type":"session.canceled","limit":2}""", Basic(mine.SecretKey));
        var second = await Bodies.Json(secondPage);
        Assert.Equal(1, second["redelivered"]!.GetValue<int>());
        Assert.False(second["has_more"]!.GetValue<bool>());

        var deliveries = await receiver.WaitFor(d => d.Count >= 3, Within);
        Assert.Equal(ids.Order(), deliveries.Select(d => TestMerchants.SessionOf(JsonNode.Parse(d.Body)!)).Order());
        foreach (var id in ids)
        {
            await WaitForStatus(id, mine.SecretKey, "delivered");
        }

        // Each went out under its own, original id.
        var originalIds = new List<string>();
        foreach (var id in ids)
        {
            originalIds.Add((await Bodies.Json(await _api.Get($"/session/{id}/webhooks", mine.SecretKey)))["webhooks"]![0]!["id"]!.GetValue<string>());
        }

        Assert.Equal(originalIds.Order(), deliveries.Select(d => d.WebhookId).Order());

        // Delivered now: "only undelivered" (the default) finds none; without it, all three again.
        Assert.Equal(0, await Redelivered(mine.SecretKey, $$"""{{{window}}}"""));
        Assert.Equal(3, await Redelivered(mine.SecretKey, $$"""{{{window}},"only_undelivered":false}"""));
        await receiver.WaitFor(d => d.Count >= 6, Within);

        // The neighbour's delivery was never touched by my calls, and cannot be redelivered with my key.
        Assert.DoesNotContain(deliveries, d => TestMerchants.SessionOf(JsonNode.Parse(d.Body)!) == theirId);
        var theirs0 = (await Bodies.Json(await _api.Get($"/session/{theirId}/webhooks", theirs.SecretKey)))["webhooks"]![0]!;
        Assert.Equal("skipped", theirs0["status"]!.GetValue<string>());
        var theirWebhook = theirs0["id"]!.GetValue<string>();
        var refused = await _api.Post($"/webhooks/deliveries/{theirWebhook}/redeliver", mine.SecretKey, "");
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal("""{"error":"Webhook delivery not found"}""", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await _api.Post("/webhooks/deliveries/evt_nonsense/redeliver", mine.SecretKey, "")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _api.Post($"/webhooks/deliveries/{theirWebhook}/redeliver", theirs.PublicKey, "")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _api.Post("/webhooks/deliveries/redeliver", null, "{}")).StatusCode);
        Assert.Equal("skipped", (await Bodies.Json(await _api.Get($"/session/{theirId}/webhooks", theirs.SecretKey)))["webhooks"]![0]!["status"]!.GetValue<string>());

        // Recorded: each session's timeline shows its bulk redeliveries, with who asked.
        var timeline = (await Bodies.Json(await _api.Get($"/session/{ids[0]}/timeline", mine.SecretKey)))["timeline"]!.AsArray();
        var requests = timeline.Where(e => e!["kind"]!.GetValue<string>() == "webhook_redelivery").Select(e => e!["webhook_redelivery"]!).ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.True(r["bulk"]!.GetValue<bool>()));
        Assert.All(requests, r => Assert.Equal($"sk_test key sha256:{ApiKeys.Hash(mine.SecretKey)}", r["requested_by"]!.GetValue<string>()));
        Assert.Equal(["skipped", "delivered"], requests.Select(r => r["previous_status"]!.GetValue<string>()));
    }

    private static string Describe(JsonNode? entry)
    {
        var kind = entry!["kind"]!.GetValue<string>();
        return kind switch
        {
            "event" => $"event {entry["event"]!["type"]!.GetValue<string>()}",
            "provider_callback" => $"provider_callback {entry["provider_callback"]!["outcome"]!.GetValue<string>()}"
                + (entry["provider_callback"]!["reason"] is { } reason ? " " + reason.GetValue<string>() : ""),
            "webhook_attempt" => $"webhook_attempt {entry["webhook_attempt"]!["type"]!.GetValue<string>()} {entry["webhook_attempt"]!["attempt"]!.GetValue<int>()} {entry["webhook_attempt"]!["status_code"]?.GetValue<int>()}",
            "webhook_redelivery" => $"webhook_redelivery {entry["webhook_redelivery"]!["type"]!.GetValue<string>()} {entry["webhook_redelivery"]!["previous_status"]!.GetValue<string>()}",
            _ => kind,
        };
    }

    private static string Rfc3339(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static Action<HttpRequestMessage> Basic(string key) => request =>
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")));

    private async Task<int> Redelivered(string key, string body)
    {
        var response = await _api.Post("/webhooks/deliveries/redeliver", key, body);
        var answer = await Bodies.Json(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, answer.ToJsonString());
        Assert.Equal(answer["webhooks"]!.AsArray().Count, answer["redelivered"]!.GetValue<int>());
        return answer["redelivered"]!.GetValue<int>();
    }

    // Every webhook of the session (or the one named) has the status.
    private async Task WaitForStatus(string id, string key, string status, string? webhookId = null)
    {
        bool Done(JsonArray w) =>
            w.Count > 0 && w.Where(x => webhookId is null || x!["id"]!.GetValue<string>() == webhookId).All(x => x!["status"]!.GetValue<string>() == status);
        var webhooks = await Eventually.Read(
            async () => (await Bodies.Json(await _api.Get($"/session/{id}/webhooks", key)))["webhooks"]!.AsArray(), Done, Within);
        Assert.True(Done(webhooks), webhooks.ToJsonString());
    }

    private async Task<string> CreateAndCancel(string key)
    {
        var id = await Create(key);
        Assert.Equal(HttpStatusCode.OK, (await _api.Post($"/session/{id}/cancel", key, "")).StatusCode);
        return id;
    }

    private async Task<string> Create(string key)
    {
        var response = await _api.Post("/session", key, Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }
}
