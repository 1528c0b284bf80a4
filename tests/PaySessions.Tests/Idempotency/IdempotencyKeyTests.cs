using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PaySessions.Api.Http;
using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;
using static PaySessions.Tests.Idempotency.IdempotencyProbe;

namespace PaySessions.Tests.Idempotency;

/// <summary>
/// <c>Idempotency-Key</c> on the merchant POSTs of both dialects, over real HTTP on one host: a
/// repeat replays the first answer byte for byte and has no second effect; another request with
/// the key is 422; keys are per business; racing requests have one effect; malformed keys, bad
/// API keys and unreadable bodies are handled as documented.
/// </summary>
public sealed class IdempotencyKeyTests(IdempotencyKeyTests.Host host) : IClassFixture<IdempotencyKeyTests.Host>
{
    private readonly ApiFixture _api = host.Api;

    private HttpClient Http => _api.Host.Http;

    private string Db => _api.Host.ConnectionString;

    /// <summary>Limits out of reach: these tests send many requests from one address, some with bad keys.</summary>
    public sealed class Host : IAsyncLifetime
    {
        public ApiFixture Api { get; } = new();

        public async Task InitializeAsync() => await Api.InitializeWith(new Dictionary<string, string?>
        {
            ["PaySessions:RateLimits:PerIp:Limit"] = "1000000",
            ["PaySessions:RateLimits:FailedAuthPerIp:Limit"] = "1000000",
        });

        public Task DisposeAsync() => Api.DisposeAsync();
    }

    [Fact]
    public async Task A_repeated_Payviox_create_replays_the_first_answer_byte_for_byte_and_creates_one_session()
    {
        var key = NewKey();
        var order = "order_" + Guid.NewGuid().ToString("N");
        var body = PayvioxBody(order);

        var first = await Post(Http, "/session", Bearer(ApiFixture.DevSecretKey), body, key);
        var again = await Post(Http, "/session", Bearer(ApiFixture.DevSecretKey), body, key);
        var third = await Post(Http, "/session", Bearer(ApiFixture.DevSecretKey), body, key);

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.False(first.Replayed);
        Assert.StartsWith("/session/", first.Location, StringComparison.Ordinal);
        Assert.True(again.SameAs(first), $"{again} after {first}");
        Assert.True(third.SameAs(first), $"{third} after {first}");
        Assert.True(again.Replayed && third.Replayed);
        Assert.Equal(1, await _api.CreatedEvents(ApiFixture.DevBusiness, order));
        Assert.Equal(1, await SessionCount(Db, ApiFixture.DevBusiness, order));
    }

    [Fact]
    public async Task A_repeated_Xendit_create_replays_the_first_answer_byte_for_byte_although_references_are_not_unique()
    {
        var key = NewKey();
        var reference = "order_" + Guid.NewGuid().ToString("N");
        var body = XenditBody(reference);

        var first = await Post(Http, "/sessions", Basic(ApiFixture.DevSecretKey), body, key);
        var again = await Post(Http, "/sessions", Basic(ApiFixture.DevSecretKey), body, key);

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.True(again.SameAs(first), $"{again} after {first}");
        Assert.True(again.Replayed);
        Assert.Equal(1, await SessionCount(Db, ApiFixture.DevBusiness, reference));

        // Without the key the same body makes a second session: the key is what kept it to one.
        var unkeyed = await Post(Http, "/sessions", Basic(ApiFixture.DevSecretKey), body, key: null);
        Assert.Equal(HttpStatusCode.Created, unkeyed.Status);
        Assert.Equal(2, await SessionCount(Db, ApiFixture.DevBusiness, reference));
    }

    [Fact]
    public async Task The_same_key_with_another_body_or_route_is_422_in_the_dialects_shape_and_runs_nothing()
    {
        var key = NewKey();
        var order = "order_" + Guid.NewGuid().ToString("N");
        var other = "order_" + Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.Created, (await Post(Http, "/session", Bearer(ApiFixture.DevSecretKey), PayvioxBody(order), key)).Status);

        var otherBody = await Post(Http, "/session", Bearer(ApiFixture.DevSecretKey), PayvioxBody(other), key);
        var otherRoute = await Post(Http, "/sessions", Basic(ApiFixture.DevSecretKey), XenditBody(other), key);
        var otherKind = await Post(Http, "/session", Bearer(ApiFixture.DevPublicKey), PayvioxBody(order), key);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherBody.Status);
        Assert.Equal(ReusedPayviox, otherBody.Text);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherRoute.Status);
        Assert.Equal(ReusedXendit, otherRoute.Text);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherKind.Status);
        Assert.Equal(0, await SessionCount(Db, ApiFixture.DevBusiness, other));
        Assert.Equal(1, await SessionCount(Db, ApiFixture.DevBusiness, order));

        // The Xendit dialect's own key, reused with another body.
        var xenditKey = NewKey();
        Assert.Equal(HttpStatusCode.Created, (await Post(Http, "/sessions", Basic(ApiFixture.DevSecretKey), XenditBody(order), xenditKey)).Status);
        var reused = await Post(Http, "/sessions", Basic(ApiFixture.DevSecretKey), XenditBody(other), xenditKey);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.Status);
        Assert.Equal(ReusedXendit, reused.Text);
        Assert.Equal("application/json; charset=utf-8", reused.ContentType);
    }

    [Fact]
    public async Task Keys_belong_to_one_business_so_another_business_may_use_the_same_key()
    {
        var key = NewKey();
        var order = "order_" + Guid.NewGuid().ToString("N");
        var other = await _api.NewBusiness("Same Key Ltd");

        var mine = await Post(Http, "/session", Bearer(ApiFixture.DevSecretKey), PayvioxBody(order), key);
        var theirs = await Post(Http, "/session", Bearer(other.SecretKey), PayvioxBody(order), key);

        Assert.Equal(HttpStatusCode.Created, mine.Status);
        Assert.Equal(HttpStatusCode.Created, theirs.Status);
        Assert.False(theirs.Replayed);
        Assert.NotEqual(mine.Text, theirs.Text);
        Assert.Equal(1, await SessionCount(Db, ApiFixture.DevBusiness, order));
        Assert.Equal(1, await SessionCount(Db, other.BusinessId, order));
    }

    [Fact]
    public async Task The_acting_business_of_for_user_id_is_part_of_the_request()
    {
        var parent = await _api.NewBusiness("Marketplace Ltd");
        var first = TestSessions.NewBusiness();
        var second = TestSessions.NewBusiness();
        Assert.True((await _api.Host.Grains.GetGrain<IBusinessGrain>(first).RegisterSubAccount("Seller One", parent.BusinessId)).Accepted);
        Assert.True((await _api.Host.Grains.GetGrain<IBusinessGrain>(second).RegisterSubAccount("Seller Two", parent.BusinessId)).Accepted);
        var key = NewKey();
        var reference = "order_" + Guid.NewGuid().ToString("N");
        var body = XenditBody(reference);

        var forFirst = await Post(Http, "/sessions", Basic(parent.SecretKey), body, key, forUserId: first);
        var forSecond = await Post(Http, "/sessions", Basic(parent.SecretKey), body, key, forUserId: second);
        var forItself = await Post(Http, "/sessions", Basic(parent.SecretKey), body, key);
        var forFirstAgain = await Post(Http, "/sessions", Basic(parent.SecretKey), body, key, forUserId: first);

        Assert.Equal(HttpStatusCode.Created, forFirst.Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, forSecond.Status);
        Assert.Equal(ReusedXendit, forSecond.Text);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, forItself.Status);
        Assert.True(forFirstAgain.SameAs(forFirst) && forFirstAgain.Replayed, $"{forFirstAgain} after {forFirst}");
        Assert.Equal(1, await SessionCount(Db, first, reference));
        Assert.Equal(0, await SessionCount(Db, second, reference));
        Assert.Equal(0, await SessionCount(Db, parent.BusinessId, reference));

        // A for-user-id the key may not act for is 403 before the key is looked at: nothing is claimed.
        var strangerKey = NewKey();
        var forbidden = await Post(Http, "/sessions", Basic(parent.SecretKey), body, strangerKey, forUserId: ApiFixture.DevBusiness);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.Status);
        Assert.Equal(0, await KeyRows(Db, strangerKey));
    }

    [Fact]
    public async Task Pay_and_cancel_in_both_dialects_replay_their_first_answer_without_a_second_effect()
    {
        var created = await Post(Http, "/session", Bearer(ApiFixture.DevSecretKey), PayvioxBody("order_" + Guid.NewGuid().ToString("N")), key: null);
        var id = Bodies.ParseSessionId(created.Text);
        var payKey = NewKey();

        var pay = await Post(Http, $"/session/{id}/pay", Bearer(ApiFixture.DevSecretKey), """{"paymentMethodId":"sandbox_card"}""", payKey);
        var payAgain = await Post(Http, $"/session/{id}/pay", Bearer(ApiFixture.DevSecretKey), """{"paymentMethodId":"sandbox_card"}""", payKey);

        Assert.Equal(HttpStatusCode.OK, pay.Status);
        Assert.True(payAgain.SameAs(pay) && payAgain.Replayed, $"{payAgain} after {pay}");
        Assert.Equal(1, await Events(Db, id, "PaymentInitiated"));

        var cancelKey = NewKey();
        var cancel = await Post(Http, $"/session/{id}/cancel", Bearer(ApiFixture.DevSecretKey), body: null, cancelKey);
        var cancelAgain = await Post(Http, $"/session/{id}/cancel", Bearer(ApiFixture.DevSecretKey), body: null, cancelKey);
        var cancelUnkeyed = await Post(Http, $"/session/{id}/cancel", Bearer(ApiFixture.DevSecretKey), body: null, key: null);

        Assert.Equal(HttpStatusCode.OK, cancel.Status);
        Assert.True(cancelAgain.SameAs(cancel) && cancelAgain.Replayed, $"{cancelAgain} after {cancel}");
        // Run again (no key), the cancel of an ended session is refused: the replay did not run it.
        Assert.Equal(HttpStatusCode.Conflict, cancelUnkeyed.Status);
        Assert.Equal(1, await Events(Db, id, "Canceled"));

        var xendit = await XenditTestSessions.Create(_api, ApiFixture.DevSecretKey, PaySessions.Grains.Sessions.SessionType.Pay);
        var xenditKey = NewKey();
        var xenditCancel = await Post(Http, $"/sessions/{xendit}/cancel", Basic(ApiFixture.DevSecretKey), body: null, xenditKey);
        var xenditAgain = await Post(Http, $"/sessions/{xendit}/cancel", Basic(ApiFixture.DevSecretKey), body: null, xenditKey);
        var xenditUnkeyed = await Post(Http, $"/sessions/{xendit}/cancel", Basic(ApiFixture.DevSecretKey), body: null, key: null);

        Assert.Equal(HttpStatusCode.OK, xenditCancel.Status);
        Assert.True(xenditAgain.SameAs(xenditCancel) && xenditAgain.Replayed, $"{xenditAgain} after {xenditCancel}");
        Assert.Equal(HttpStatusCode.BadRequest, xenditUnkeyed.Status);
        Assert.Equal(1, await Events(Db, xendit, "Canceled"));
    }

    public static TheoryData<string[]> MalformedKeys() =>
    [
        [""],
        [new string('k', 256)],
        ["has space"],
        ["tab\there"],
        ["del\u007f"],
        ["one", "two"],
    ];

    [Theory]
    [MemberData(nameof(MalformedKeys))]
    public async Task A_malformed_key_is_400_in_each_dialects_shape_and_nothing_runs(string[] keys)
    {
        var order = "order_" + Guid.NewGuid().ToString("N");

        var payviox = await Post(Http, "/session", Bearer(ApiFixture.DevSecretKey), PayvioxBody(order), keys);
        var xendit = await Post(Http, "/sessions", Basic(ApiFixture.DevSecretKey), XenditBody(order), keys);

        Assert.Equal(HttpStatusCode.BadRequest, payviox.Status);
        Assert.Equal("""{"error":"The Idempotency-Key header must be 1 to 255 visible ASCII characters, sent once."}""", payviox.Text);
        Assert.Equal(HttpStatusCode.BadRequest, xendit.Status);
        Assert.Equal(
            """{"error_code":"API_VALIDATION_ERROR","message":"request/headers/idempotency-key must be 1 to 255 visible ASCII characters","errors":[{"message":"must be 1 to 255 visible ASCII characters","path":"/headers/idempotency-key"}]}""",
            xendit.Text);
        Assert.Equal(0, await SessionCount(Db, ApiFixture.DevBusiness, order));
    }

    [Fact]
    public async Task The_longest_key_of_every_visible_character_is_taken()
    {
        var visible = new string([.. Enumerable.Range('!', '~' - '!' + 1).Select(c => (char)c)]);
        var key = (visible + Guid.NewGuid().ToString("N") + new string('x', 255))[..255];
        var order = "order_" + Guid.NewGuid().ToString("N");

        var first = await Post(Http, "/session", Bearer(ApiFixture.DevSecretKey), PayvioxBody(order), key);
        var again = await Post(Http, "/session", Bearer(ApiFixture.DevSecretKey), PayvioxBody(order), key);

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.True(again.SameAs(first) && again.Replayed);
    }

    [Fact]
    public async Task A_bad_API_key_is_401_and_claims_nothing()
    {
        var key = NewKey();
        var order = "order_" + Guid.NewGuid().ToString("N");

        var refused = await Post(Http, "/session", Bearer("sk_test_" + new string('0', 32)), PayvioxBody(order), key);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal(0, await KeyRows(Db, key));

        var accepted = await Post(Http, "/session", Bearer(ApiFixture.DevSecretKey), PayvioxBody(order), key);
        Assert.Equal(HttpStatusCode.Created, accepted.Status);
        Assert.False(accepted.Replayed);
        Assert.Equal(1, await KeyRows(Db, key));
    }

    [Theory]
    [InlineData("/session", "{", """{"body":["The request body must be valid JSON."]}""")]
    [InlineData("/session", "[]", """{"body":["The request body must be a JSON object."]}""")]
    [InlineData("/sessions", "{", """{"error_code":"API_VALIDATION_ERROR","message":"request/body must be valid JSON","errors":[{"message":"must be valid JSON","path":"/body"}]}""")]
    public async Task A_body_that_is_not_a_JSON_object_is_answered_400_and_stored_like_any_answer(string path, string body, string expected)
    {
        var key = NewKey();
        var auth = path == "/session" ? Bearer(ApiFixture.DevSecretKey) : Basic(ApiFixture.DevSecretKey);
        var order = "order_" + Guid.NewGuid().ToString("N");

        var first = await Post(Http, path, auth, body, key);
        var again = await Post(Http, path, auth, body, key);
        var corrected = await Post(Http, path, auth, path == "/session" ? PayvioxBody(order) : XenditBody(order), key);

        Assert.Equal(HttpStatusCode.BadRequest, first.Status);
        Assert.Equal(expected, first.Text);
        Assert.True(again.SameAs(first) && again.Replayed, $"{again} after {first}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, corrected.Status);
        Assert.Equal(0, await SessionCount(Db, ApiFixture.DevBusiness, order));
    }

    [Theory]
    [InlineData("/session")]
    [InlineData("/sessions")]
    public async Task Twenty_requests_racing_with_one_key_have_one_effect_and_the_others_replay_it_or_get_409(string path)
    {
        var key = NewKey();
        var order = "order_" + Guid.NewGuid().ToString("N");
        var payviox = path == "/session";
        var body = payviox ? PayvioxBody(order) : XenditBody(order);
        var auth = payviox ? Bearer(ApiFixture.DevSecretKey) : Basic(ApiFixture.DevSecretKey);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => Post(Http, path, auth, body, key))));

        Assert.Equal(1, await SessionCount(Db, ApiFixture.DevBusiness, order));
        var created = answers.Where(a => a.Status == HttpStatusCode.Created).ToList();
        Assert.NotEmpty(created);
        Assert.Single(created, a => !a.Replayed);
        Assert.All(created, a => Assert.True(a.SameAs(created[0]), $"{a} beside {created[0]}"));
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.Created), a =>
        {
            Assert.Equal(HttpStatusCode.Conflict, a.Status);
            Assert.Equal(payviox ? InUsePayviox : InUseXendit, a.Text);
            Assert.Equal("1", a.RetryAfter);
        });
    }

    [Fact]
    public async Task A_shop_page_on_another_origin_may_send_a_key_and_read_whether_its_answer_was_replayed()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, new Uri("/session", UriKind.Relative));
        preflight.Headers.Add("Origin", "http://shop.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type,idempotency-key");
        using var allowed = await Http.SendAsync(preflight);

        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Contains("idempotency-key", string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant(), StringComparison.Ordinal);

        var key = NewKey();
        var body = PayvioxBody("order_" + Guid.NewGuid().ToString("N"));
        HttpResponseMessage? replayed = null;
        for (var i = 0; i < 2; i++)
        {
            replayed?.Dispose();
            replayed = await _api.Send(HttpMethod.Post, "/session", ApiFixture.DevPublicKey, body, r =>
            {
                r.Headers.Add("Origin", "http://shop.example");
                r.Headers.Add("Idempotency-Key", key);
            });
        }

        Assert.Equal(HttpStatusCode.Created, replayed!.StatusCode);
        Assert.Equal("true", Assert.Single(replayed.Headers.GetValues("Idempotent-Replayed")));
        Assert.Contains("idempotent-replayed", string.Join(",", replayed.Headers.GetValues("Access-Control-Expose-Headers")).ToLowerInvariant(), StringComparison.Ordinal);
        replayed.Dispose();
    }

    [Fact]
    public async Task Every_merchant_POST_honours_the_key_and_no_provider_hosted_page_sandbox_or_GET_route_does()
    {
        var endpoints = _api.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var merchantPosts = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            var route = $"{string.Join(",", methods)} /{endpoint.RoutePattern.RawText!.Trim('/')}";
            var honours = endpoint.Metadata.GetMetadata<AcceptsIdempotencyKey>() is not null;
            var merchantApi = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(rule => rule.Policy is null && rule.AuthenticationSchemes is null);
            var unsafeMethod = methods.Any(m => m is not ("GET" or "HEAD" or "OPTIONS"));
            Assert.True(honours == (merchantApi && unsafeMethod), $"{route}: merchant API {merchantApi}, honours Idempotency-Key {honours}");
            if (honours)
            {
                merchantPosts.Add(route);
            }
        }

        Assert.Superset(
            new HashSet<string>(["POST /session", "POST /session/{id}/cancel", "POST /session/{id}/pay", "POST /sessions", "POST /sessions/{payment_session_id}/cancel"]),
            merchantPosts.ToHashSet());
        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/webhooks/{provider}" && e.Metadata.GetMetadata<AcceptsIdempotencyKey>() is null);
    }
}
