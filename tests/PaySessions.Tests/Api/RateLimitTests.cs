using System.Net;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>A host of its own with small limits and 127.0.0.1 as a trusted proxy.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private readonly ApiFixture _api = new();

    public async Task InitializeAsync() => await _api.InitializeWith(new Dictionary<string, string?>
    {
        ["PaySessions:RateLimits:PerIp:Limit"] = "3",
        ["PaySessions:RateLimits:PerIp:Window"] = "00:01:00",
        ["PaySessions:RateLimits:PerCustomer:Limit"] = "2",
        ["PaySessions:RateLimits:PerCustomer:Window"] = "00:01:00",
        ["PaySessions:Http:TrustedProxies:0"] = "127.0.0.1",
        ["PaySessions:RateLimits:FailedAuthPerIp:Limit"] = "3",
    });

    public Task DisposeAsync() => _api.DisposeAsync();

    [Fact]
    public async Task A_customer_over_its_limit_gets_429_with_Retry_After_and_nothing_is_written()
    {
        var customer = "cust_" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < 2; i++)
        {
            var ok = await _api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample(customer: customer).ToJsonString());
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        var body = Bodies.SeedExample(customer: customer);
        var limited = await _api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        var json = await Bodies.Json(limited);
        Assert.Equal("rate_limit_exceeded", json["error"]!.GetValue<string>());
        Assert.Equal("Too many session requests", json["message"]!.GetValue<string>());
        Assert.Equal("customer", json["type"]!.GetValue<string>());
        var retryAfter = json["retry_after"]!.GetValue<int>();
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal(retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture), limited.Headers.GetValues("Retry-After").Single());
        Assert.Equal(["error", "message", "type", "retry_after"], json.Select(p => p.Key));
        Assert.Equal(0, await _api.SessionRows(ApiFixture.DevBusiness, body["order_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_address_that_keeps_failing_authentication_is_throttled_before_any_key_is_looked_up()
    {
        var address = $"198.18.0.{Random.Shared.Next(1, 250)}";
        Task<HttpResponseMessage> Attempt(string key) => _api.Send(HttpMethod.Post, "/session", key, Bodies.SeedExample().ToJsonString(),
            request => request.Headers.Add("X-Forwarded-For", address));

        var failures = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            failures.Add((await Attempt($"sk_test_madeup{i}0000000000000000")).StatusCode);
        }

        var throttled = await Attempt("sk_test_madeup90000000000000000");
        var neverSeenHere = await _api.NewBusiness("Unseen Ltd");
        var evenWithAGoodKeyNotYetSeen = await Attempt(neverSeenHere.SecretKey);
        var elsewhere = await _api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString());

        Assert.All(failures, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        var json = await Bodies.Json(throttled);
        Assert.Equal("rate_limit_exceeded", json["error"]!.GetValue<string>());
        Assert.Equal("ip", json["type"]!.GetValue<string>());
        Assert.Equal(json["retry_after"]!.GetValue<int>().ToString(System.Globalization.CultureInfo.InvariantCulture), throttled.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.TooManyRequests, evenWithAGoodKeyNotYetSeen.StatusCode);
        Assert.Equal(HttpStatusCode.Created, elsewhere.StatusCode);
    }

    [Fact]
    public async Task A_key_known_to_work_is_not_locked_out_by_its_addresss_throttle_and_a_revoke_still_takes_effect_at_once()
    {
        var address = $"198.18.1.{Random.Shared.Next(1, 250)}";
        var merchant = await _api.NewBusiness("Shared Office Ltd");
        Task<HttpResponseMessage> Attempt(string key) => _api.Send(HttpMethod.Post, "/session", key, Bodies.SeedExample().ToJsonString(),
            request => request.Headers.Add("X-Forwarded-For", address));

        var first = await Attempt(merchant.SecretKey);
        var guesses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            guesses.Add((await Attempt($"sk_test_guess{i}00000000000000000")).StatusCode);
        }

        var merchantAgain = await Attempt(merchant.SecretKey);
        var anotherGuess = await Attempt("sk_test_guess900000000000000000");
        await _api.Host.Grains.GetGrain<PaySessions.Grains.Merchants.IBusinessGrain>(merchant.BusinessId)
            .RevokeKey(PaySessions.Grains.Merchants.ApiKeys.Hash(merchant.SecretKey));
        var revoked = await Attempt(merchant.SecretKey);
        var revokedAgain = await Attempt(merchant.SecretKey);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], guesses);
        Assert.Equal(HttpStatusCode.Created, merchantAgain.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, anotherGuess.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.Equal("""{"error":"Unauthorized"}""", await revoked.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.TooManyRequests, revokedAgain.StatusCode);
    }

    [Fact]
    public async Task The_same_customer_name_at_another_business_has_its_own_limit()
    {
        var customer = "cust_" + Guid.NewGuid().ToString("N");
        var other = await _api.NewBusiness();
        for (var i = 0; i < 2; i++)
        {
            await _api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample(customer: customer).ToJsonString());
        }

        var elsewhere = await _api.Post("/session", other.SecretKey, Bodies.SeedExample(customer: customer).ToJsonString());

        Assert.Equal(HttpStatusCode.Created, elsewhere.StatusCode);
    }

    [Fact]
    public async Task A_public_key_is_limited_by_the_browsers_address_from_a_trusted_proxy()
    {
        var address = $"198.51.100.{Random.Shared.Next(1, 250)}";
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            var response = await _api.Send(HttpMethod.Post, "/session", ApiFixture.DevPublicKey, Bodies.SeedExample().ToJsonString(),
                request => request.Headers.Add("X-Forwarded-For", address));
            statuses.Add(response.StatusCode);
            if (i == 3)
            {
                Assert.Equal("ip", (await Bodies.Json(response))["type"]!.GetValue<string>());
            }
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task A_trusted_proxys_forwarded_address_is_what_the_session_records()
    {
        var response = await _api.Send(HttpMethod.Post, "/session", ApiFixture.DevPublicKey, Bodies.SeedExample().ToJsonString(),
            request => request.Headers.Add("X-Forwarded-For", "203.0.113.99"));

        var id = (await Bodies.Json(response))["session_id"]!.GetValue<string>();
        var session = await _api.Host.Grains.GetGrain<PaySessions.Grains.Sessions.IPaymentSessionGrain>(id).GetSnapshot();
        Assert.Equal("203.0.113.99", session!.ClientIp);
    }

    [Fact]
    public async Task A_secret_key_is_limited_by_the_ip_field_not_by_the_merchant_servers_address()
    {
        var endUser = $"192.0.2.{Random.Shared.Next(1, 250)}";
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            var body = Bodies.SeedExample();
            body["ip"] = endUser;
            statuses.Add((await _api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString())).StatusCode);
        }

        // Many end users behind one merchant server: no IP limit without the field.
        var withoutIp = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
            _api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString())));

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
        Assert.All(withoutIp, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
    }
    [Fact]
    public async Task Failed_keys_on_sessions_are_throttled_with_429_in_the_Xendit_shape_while_a_working_key_still_passes()
    {
        var address = $"100.64.{Random.Shared.Next(0, 250)}.{Random.Shared.Next(1, 250)}";
        var unknown = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("sk_test_unknown0000000000000000:"));
        var dev = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ApiFixture.DevSecretKey + ":"));
        Task<HttpResponseMessage> Read(string authorization) => _api.Send(HttpMethod.Get, "/sessions/ps-000000000000000000000000", null, null, request =>
        {
            request.Headers.Add("X-Forwarded-For", address);
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        });

        // The working key once first, so this process knows it (the throttle is for guesses).
        Assert.Equal(HttpStatusCode.NotFound, (await Read(dev)).StatusCode);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await Read(unknown)).StatusCode);
        }

        var limited = await Read(unknown);
        var stillWorks = await Read(dev);

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(
            """{"error_code":"RATE_LIMIT_EXCEEDED","message":"Too many failed authentication attempts"}""",
            await limited.Content.ReadAsStringAsync());
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal(HttpStatusCode.NotFound, stillWorks.StatusCode);
    }
}
