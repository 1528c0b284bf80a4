using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using PaySessions.Silo.Merchants;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Merchants;

[Collection(ApiCollection.Name)]
public sealed partial class MerchantsCommandTests(ApiFixture api)
{
    [Fact]
    public async Task Merchants_create_prints_working_keys_once_and_revoke_key_stops_them()
    {
        var (created, output) = await Run("merchants", "create", "--name", "Acme");
        Assert.Equal(0, created);
        var businessId = Field().Match(output).Groups[1].Value;
        var secretKey = SecretKey().Match(output).Value;
        Assert.StartsWith("biz_", businessId, StringComparison.Ordinal);
        Assert.Matches("^sk_test_[A-Za-z0-9]{32}$", secretKey);
        Assert.Equal(HttpStatusCode.Created, (await api.Post("/session", secretKey, Bodies.SeedExample().ToJsonString())).StatusCode);

        var (revoked, _) = await Run("merchants", "revoke-key", secretKey, "--business", businessId);

        Assert.Equal(0, revoked);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.Post("/session", secretKey, Bodies.SeedExample().ToJsonString())).StatusCode);
    }

    [Fact]
    public async Task Revoking_a_key_of_another_business_changes_nothing()
    {
        var (code, _) = await Run("merchants", "revoke-key", ApiFixture.DevSecretKey, "--business", "biz_someone_else");

        Assert.Equal(1, code);
        Assert.Equal(HttpStatusCode.Created, (await api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString())).StatusCode);
    }

    [Fact]
    public async Task Merchants_set_webhook_prints_a_secret_once_and_refuses_a_bad_url()
    {
        var keys = await api.NewBusiness();

        var (ok, output) = await Run("merchants", "set-webhook", "--business", keys.BusinessId, "--url", "http://127.0.0.1:9/hooks");
        var (refused, message) = await Run("merchants", "set-webhook", "--business", keys.BusinessId, "--url", "ftp://example.com/x");
        var (unknown, _) = await Run("merchants", "set-webhook", "--business", "biz_nobody", "--url", "http://127.0.0.1:9/hooks");

        Assert.Equal(0, ok);
        Assert.Matches(@"webhook_secret: whsec_[A-Za-z0-9]{32}", output);
        Assert.Equal(1, refused);
        Assert.Contains("absolute http(s)", message, StringComparison.Ordinal);
        Assert.Equal(1, unknown);
        var target = await api.Host.Grains.GetGrain<PaySessions.Grains.Merchants.IBusinessGrain>(keys.BusinessId).GetWebhookTarget();
        Assert.Equal("http://127.0.0.1:9/hooks", target!.Url);
        Assert.DoesNotContain("whsec_", target.ProtectedSecret, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Output)> Run(params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:PaySessions"] = api.Host.ConnectionString,
            ["PaySessions:Cluster:ClusterId"] = api.Host.Identity.ClusterId,
            ["PaySessions:Cluster:ServiceId"] = api.Host.Identity.ServiceId,
        }).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await MerchantsCommand.RunAsync(args, configuration, output, error);
        return (code, output + error.ToString());
    }

    [GeneratedRegex(@"business_id:\s+(\S+)")]
    private static partial Regex Field();

    [GeneratedRegex(@"sk_test_[A-Za-z0-9]{32}")]
    private static partial Regex SecretKey();
}
