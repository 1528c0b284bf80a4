using FsCheck;
using FsCheck.Fluent;
using PaySessions.Api.HostedPage;
using PaySessions.Grains.Merchants;

namespace PaySessions.Tests.Merchants;

/// <summary>
/// The rules for a business's return URL and frame origins, and how the hosted page adds
/// <c>session_id</c> to the return URL: without a cluster, over generated addresses.
/// </summary>
public sealed class ShopAddressesProperties
{
    private static readonly Gen<string> Hosts = Gen.Elements("shop.example", "www.shop.example", "xn--bcher-kva.example", "203.0.113.7", "[2001:db8::1]", "SHOP.Example");

    private static readonly Gen<string> Words = Gen.Elements("a", "b", "order", "x y", "é", "a&b", "q=1", "%", "#", "/", "?", "+", "session", "id");

    private static readonly Gen<(string Key, string Value)[]> Queries =
        Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(Gen.Zip(Words, Words), n)).Select(pairs => pairs.Where(p => p.Item1 != "session" || p.Item2 != "id").Select(p => (p.Item1 + "k", p.Item2)).ToArray());

    private static readonly Gen<string> Paths = Gen.Elements("", "/", "/thanks", "/checkout/done/", "/a%20b", "/é");

    private static readonly Gen<string> Fragments = Gen.Elements("", "#", "#/done", "#top");

    private static readonly Gen<string> SessionIds = Gen.Elements("0123456789abcdef0123456789abcdef", "ps-0123456789abcdef01234567", "weird id/&?#");

    [Fact]
    public void Session_id_is_added_to_any_accepted_return_url_keeping_its_query_path_and_fragment()
    {
        var urls =
            from host in Hosts
            from port in Gen.Elements("", ":443", ":8443")
            from path in Paths
            from query in Queries
            from fragment in Fragments
            select (Url: "https://" + host + port + path + (query.Length > 0 ? "?" + string.Join("&", query.Select(q => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(q.Value))) : "") + fragment, Query: query);

        var property = Prop.ForAll(Arb.From(urls), Arb.From(SessionIds), (given, sessionId) =>
        {
            var (canonical, error) = ShopAddresses.CheckReturnUrl(given.Url, allowLoopbackHttp: false);
            Assert.Null(error);
            var original = new Uri(canonical!);
            var merged = new Uri(ShopReturn.WithSessionId(canonical!, sessionId));

            var expected = given.Query.Select(q => (q.Key, q.Value)).Append(("session_id", sessionId)).ToArray();
            Assert.Equal(expected, Parameters(merged.Query));
            Assert.Equal(original.GetLeftPart(UriPartial.Path), merged.GetLeftPart(UriPartial.Path));
            Assert.Equal(original.Fragment, merged.Fragment);
            return true;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Theory]
    [InlineData("https://shop.example/thanks", "https://shop.example/thanks?session_id=abc")]
    [InlineData("https://shop.example/thanks?order=7", "https://shop.example/thanks?order=7&session_id=abc")]
    [InlineData("https://shop.example/thanks?", "https://shop.example/thanks?session_id=abc")]
    [InlineData("https://shop.example/thanks?order=7&", "https://shop.example/thanks?order=7&session_id=abc")]
    [InlineData("https://shop.example/#/done", "https://shop.example/?session_id=abc#/done")]
    [InlineData("https://shop.example", "https://shop.example/?session_id=abc")]
    public void Session_id_joins_the_query_the_return_url_already_has(string returnUrl, string expected) =>
        Assert.Equal(expected, ShopReturn.WithSessionId(returnUrl, "abc"));

    [Theory]
    [InlineData("http://shop.example/thanks", true)]
    [InlineData("ftp://shop.example/thanks", true)]
    [InlineData("javascript:alert(1)", true)]
    [InlineData("data:text/html,hi", true)]
    [InlineData("/thanks", true)]
    [InlineData("//shop.example/thanks", true)]
    [InlineData("https://user:pass@shop.example/", true)]
    [InlineData("https://shop.example/thanks?session_id=1", true)]
    [InlineData("https://shop.example/ thanks", true)]
    [InlineData("http://127.0.0.1:3000/thanks", true)]
    [InlineData("http://localhost:3000/thanks", true)]
    [InlineData("https://shop.example/thanks", false)]
    [InlineData("https://localhost/thanks", false)]
    public void A_return_url_outside_development_is_https_with_no_credentials(string url, bool refused)
    {
        var (canonical, error) = ShopAddresses.CheckReturnUrl(url, allowLoopbackHttp: false);
        Assert.Equal(refused, error is not null);
        Assert.Equal(refused, canonical is null);
    }

    [Theory]
    [InlineData("http://127.0.0.1:3000/thanks", false)]
    [InlineData("http://localhost:3000/thanks", false)]
    [InlineData("http://[::1]:3000/thanks", false)]
    [InlineData("http://shop.example/thanks", true)]
    [InlineData("http://10.0.0.1/thanks", true)]
    public void In_development_plain_http_is_accepted_for_loopback_hosts_only(string url, bool refused) =>
        Assert.Equal(refused, ShopAddresses.CheckReturnUrl(url, allowLoopbackHttp: true).Error is not null);

    [Fact]
    public void A_return_url_longer_than_the_limit_is_refused()
    {
        var longest = "https://shop.example/" + new string('a', ShopAddresses.MaxReturnUrlLength - "https://shop.example/".Length);
        Assert.Null(ShopAddresses.CheckReturnUrl(longest, allowLoopbackHttp: false).Error);
        Assert.NotNull(ShopAddresses.CheckReturnUrl(longest + "a", allowLoopbackHttp: false).Error);
    }

    [Theory]
    [InlineData("https://shop.example", "https://shop.example")]
    [InlineData("https://shop.example/", "https://shop.example")]
    [InlineData("https://SHOP.Example:443", "https://shop.example")]
    [InlineData("https://shop.example:8443", "https://shop.example:8443")]
    [InlineData("https://[2001:DB8::1]:8443", "https://[2001:db8::1]:8443")]
    [InlineData("https://bücher.example", "https://xn--bcher-kva.example")]
    public void A_frame_origin_is_kept_as_scheme_host_and_port(string given, string canonical)
    {
        var (origins, error) = ShopAddresses.CheckFrameOrigins([given], allowLoopbackHttp: false);
        Assert.Null(error);
        Assert.Equal([canonical], origins);
    }

    [Theory]
    [InlineData("https://shop.example/checkout")]
    [InlineData("https://shop.example?x=1")]
    [InlineData("https://shop.example#top")]
    [InlineData("https://user@shop.example")]
    [InlineData("https://*.shop.example")]
    [InlineData("*")]
    [InlineData("'self'")]
    [InlineData("shop.example")]
    [InlineData("http://shop.example")]
    [InlineData("http://localhost:3000")]
    [InlineData("ftp://shop.example")]
    [InlineData("https://shop.example; script-src *")]
    [InlineData("")]
    public void A_bad_entry_refuses_the_whole_list(string bad)
    {
        var (origins, error) = ShopAddresses.CheckFrameOrigins(["https://good.example", bad], allowLoopbackHttp: false);
        Assert.NotNull(error);
        Assert.Empty(origins);
        Assert.DoesNotContain("\n", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_origins_are_canonical_distinct_and_safe_inside_a_content_security_policy()
    {
        var origins =
            from host in Hosts
            from port in Gen.Elements("", ":443", ":8443", ":1")
            from slash in Gen.Elements("", "/")
            select "https://" + host + port + slash;

        var property = Prop.ForAll(Arb.From(Gen.Choose(0, 8).SelectMany(n => Gen.ArrayOf(origins, n))), given =>
        {
            var (canonical, error) = ShopAddresses.CheckFrameOrigins(given, allowLoopbackHttp: false);
            Assert.Null(error);
            Assert.Equal(canonical.Count, canonical.Distinct(StringComparer.Ordinal).Count());
            Assert.All(canonical, origin =>
            {
                Assert.Matches("^https://[a-z0-9.\\-\\[\\]:]+$", origin);
                // Canonical already: checking it again changes nothing.
                Assert.Equal([origin], ShopAddresses.CheckFrameOrigins([origin], allowLoopbackHttp: false).Origins);
            });
            Assert.Equal(given.Select(g => new Uri(g)).Select(u => (u.IdnHost.ToLowerInvariant(), u.Port)).Distinct().Count(), canonical.Count);
            return true;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Fact]
    public void More_than_the_limit_of_origins_is_refused()
    {
        var many = Enumerable.Range(1, ShopAddresses.MaxFrameOrigins + 1).Select(i => $"https://shop{i}.example").ToArray();
        Assert.Null(ShopAddresses.CheckFrameOrigins(many[..^1], allowLoopbackHttp: false).Error);
        Assert.NotNull(ShopAddresses.CheckFrameOrigins(many, allowLoopbackHttp: false).Error);
    }

    private static (string Key, string Value)[] Parameters(string query) =>
        [.. query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
        {
            var parts = pair.Split('=', 2);
            return (Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "");
        })];
}
