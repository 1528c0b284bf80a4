using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Merchants;

/// <summary><c>merchants set-return-url</c> and <c>merchants set-frame-origins</c> against a running (Development) host.</summary>
[Collection(ApiCollection.Name)]
public sealed class ShopSettingsCommandTests(ApiFixture api)
{
    [Fact]
    public async Task Set_return_url_stores_the_canonical_url_lists_it_and_none_clears_it()
    {
        var keys = await api.NewBusiness();

        var (code, said) = await Run("merchants", "set-return-url", keys.BusinessId, "https://Shop.Example/thanks?order=7");

        Assert.Equal(0, code);
        Assert.Equal("return_url: https://shop.example/thanks?order=7", said.Trim());
        Assert.Equal("https://shop.example/thanks?order=7", (await Profile(keys.BusinessId)).ReturnUrl);
        var (_, listing) = await Run("merchants", "list");
        Assert.Contains("  return_url: https://shop.example/thanks?order=7", listing, StringComparison.Ordinal);

        var (cleared, clearSaid) = await Run("merchants", "set-return-url", keys.BusinessId, "--none");

        Assert.Equal(0, cleared);
        Assert.Equal("return_url: (none)", clearSaid.Trim());
        Assert.Null((await Profile(keys.BusinessId)).ReturnUrl);
    }

    [Theory]
    [InlineData("http://shop.example/thanks", "The return URL must use https (http only for a loopback host, and only in Development).")]
    [InlineData("/thanks", "The return URL must be an absolute https URL.")]
    [InlineData("javascript:alert(1)", "The return URL must be an absolute https URL.")]
    [InlineData("https://user:secret@shop.example/", "The return URL must not contain credentials.")]
    [InlineData("https://shop.example/?session_id=1", "The return URL must not carry session_id: the hosted page adds it.")]
    [InlineData(" ", "Give a return URL, or --none to clear.")]
    public async Task Set_return_url_refuses_a_bad_url_with_one_line_and_keeps_the_old_one(string url, string message)
    {
        var keys = await api.NewBusiness();
        Assert.Equal(0, (await Run("merchants", "set-return-url", keys.BusinessId, "https://shop.example/ok")).Code);

        var (code, said) = await Run("merchants", "set-return-url", keys.BusinessId, url);

        Assert.Equal(1, code);
        Assert.Equal(message, said.TrimEnd('\r', '\n'));
        Assert.Equal("https://shop.example/ok", (await Profile(keys.BusinessId)).ReturnUrl);
    }

    [Fact]
    public async Task Set_return_url_needs_a_url_or_none_and_a_registered_business()
    {
        var keys = await api.NewBusiness();

        var (neither, neitherSaid) = await Run("merchants", "set-return-url", keys.BusinessId);
        var (both, bothSaid) = await Run("merchants", "set-return-url", keys.BusinessId, "https://shop.example/", "--none");
        var (nobody, nobodySaid) = await Run("merchants", "set-return-url", "biz_nobody_at_all", "https://shop.example/");
        var (loopback, loopbackSaid) = await Run("merchants", "set-return-url", keys.BusinessId, "http://127.0.0.1:3000/done");

        Assert.Equal([1, 1, 1], new[] { neither, both, nobody });
        Assert.Equal("Give a return URL, or --none to clear.", neitherSaid.Trim());
        Assert.Equal("Give either a return URL or --none, not both.", bothSaid.Trim());
        Assert.Equal("Business biz_nobody_at_all is not registered.", nobodySaid.Trim());
        // The host runs in Development: a shop on the developer's own machine is fine there.
        Assert.Equal(0, loopback);
        Assert.Equal("return_url: http://127.0.0.1:3000/done", loopbackSaid.Trim());
    }

    [Fact]
    public async Task Set_frame_origins_stores_canonical_origins_lists_them_and_none_clears_them()
    {
        var keys = await api.NewBusiness();

        var (code, said) = await Run("merchants", "set-frame-origins", keys.BusinessId, "https://Shop.Example, https://www.shop.example:8443,https://shop.example/");

        Assert.Equal(0, code);
        Assert.Equal("frame_origins: https://shop.example,https://www.shop.example:8443", said.Trim());
        Assert.Equal(["https://shop.example", "https://www.shop.example:8443"], (await Profile(keys.BusinessId)).FrameOrigins);
        var (_, listing) = await Run("merchants", "list");
        Assert.Contains("  frame_origins: https://shop.example,https://www.shop.example:8443", listing, StringComparison.Ordinal);

        var (cleared, clearSaid) = await Run("merchants", "set-frame-origins", keys.BusinessId, "--none");

        Assert.Equal(0, cleared);
        Assert.Equal("frame_origins: (none)", clearSaid.Trim());
        Assert.Empty((await Profile(keys.BusinessId)).FrameOrigins!);
    }

    [Theory]
    [InlineData("https://shop.example,https://shop.example/checkout", "'https://shop.example/checkout' is not an origin: no path, query or credentials, only scheme://host[:port].")]
    [InlineData("https://shop.example,http://shop.example", "'http://shop.example': The frame origin must use https (http only for a loopback host, and only in Development).")]
    [InlineData("https://shop.example,*", "'*' is not an origin: write scheme://host[:port], e.g. https://shop.example.")]
    [InlineData("https://shop.example,,https://b.example", "'' is not an origin: write scheme://host[:port], e.g. https://shop.example.")]
    [InlineData("https://shop.example;script-src", "'https://shop.example;script-src' is not an origin: write scheme://host[:port], e.g. https://shop.example.")]
    public async Task Set_frame_origins_is_all_or_nothing_with_one_line_on_error(string origins, string message)
    {
        var keys = await api.NewBusiness();
        Assert.Equal(0, (await Run("merchants", "set-frame-origins", keys.BusinessId, "https://before.example")).Code);

        var (code, said) = await Run("merchants", "set-frame-origins", keys.BusinessId, origins);

        Assert.Equal(1, code);
        Assert.Equal(message, said.TrimEnd('\r', '\n'));
        Assert.DoesNotContain("\n", said.TrimEnd('\r', '\n'), StringComparison.Ordinal);
        Assert.Equal(["https://before.example"], (await Profile(keys.BusinessId)).FrameOrigins);
    }

    private async Task<BusinessProfile> Profile(string businessId) =>
        (await api.Host.Grains.GetGrain<IBusinessGrain>(businessId).GetProfile())!;

    private Task<(int Code, string Output)> Run(params string[] args) => MerchantsCli.Run(api.Host, args);
}
