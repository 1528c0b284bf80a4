using System.Net;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>The drop-in SDK's file and the CORS its calls need, over plain HTTP.</summary>
[Collection(ApiCollection.Name)]
public sealed class BrowserSdkTests(ApiFixture api)
{
    [Fact]
    public async Task The_sdk_is_served_as_javascript_with_an_etag_and_revalidates_with_a_304()
    {
        var first = await api.Host.Http.GetAsync(new Uri("/sdk/payviox.js", UriKind.Relative));
        var body = await first.Content.ReadAsStringAsync();
        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri("/sdk/payviox.js", UriKind.Relative));
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        var revalidated = await api.Host.Http.SendAsync(again);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("text/javascript", first.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", Assert.Single(first.Headers.GetValues("X-Content-Type-Options")));
        Assert.True(first.Headers.CacheControl!.Public);
        Assert.Equal(TimeSpan.FromHours(1), first.Headers.CacheControl.MaxAge);
        Assert.Contains("global.Payviox = Payviox", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Empty(await revalidated.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task The_sdk_is_also_served_under_its_hash_for_a_year_and_a_wrong_hash_is_404()
    {
        var stable = await api.Host.Http.GetAsync(new Uri("/sdk/payviox.js", UriKind.Relative));
        var hash = stable.Headers.ETag!.Tag.Trim('"');

        var versioned = await api.Host.Http.GetAsync(new Uri($"/sdk/payviox.{hash}.js", UriKind.Relative));
        var wrong = await api.Host.Http.GetAsync(new Uri("/sdk/payviox.0000000000000000.js", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, versioned.StatusCode);
        Assert.Equal(TimeSpan.FromDays(365), versioned.Headers.CacheControl?.MaxAge);
        Assert.Equal(await stable.Content.ReadAsByteArrayAsync(), await versioned.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
    }

    [Theory]
    [InlineData("/session", "POST")]
    [InlineData("/payments/methods", "GET")]
    public async Task A_shop_page_on_another_origin_may_call_the_sdk_routes_with_its_key(string path, string method)
    {
        var preflight = await Preflight(path, method);

        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal("*", Assert.Single(preflight.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("authorization", string.Join(",", preflight.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant(), StringComparison.Ordinal);
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task A_create_from_another_origin_answers_with_cors_headers_also_when_refused()
    {
        var created = await api.Send(HttpMethod.Post, "/session", ApiFixture.DevPublicKey, Bodies.SeedExample().ToJsonString(), r => r.Headers.Add("Origin", "http://shop.example"));
        var refused = await api.Send(HttpMethod.Post, "/session", "pk_test_nobody00000000000000000000", Bodies.SeedExample().ToJsonString(), r => r.Headers.Add("Origin", "http://shop.example"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("*", Assert.Single(created.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("*", Assert.Single(refused.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Theory]
    [InlineData("/session/0123456789abcdef0123456789abcdef", "GET")]
    [InlineData("/session/0123456789abcdef0123456789abcdef/cancel", "POST")]
    [InlineData("/sessions", "POST")]
    public async Task Other_routes_give_other_origins_no_cors(string path, string method)
    {
        var preflight = await Preflight(path, method);

        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
    }

    private async Task<HttpResponseMessage> Preflight(string path, string method)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, new Uri(path, UriKind.Relative));
        request.Headers.Add("Origin", "http://shop.example");
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return await api.Host.Http.SendAsync(request);
    }
}
