using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using PaySessions.Grains.Merchants;
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
        var target = await api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).GetWebhookTarget();
        Assert.Equal("http://127.0.0.1:9/hooks", target!.Url);
        Assert.DoesNotContain("whsec_", target.ProtectedSecret, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_business_made_with_the_cli_is_paid_through_the_sandbox_once_a_method_is_enabled_and_not_after_it_is_disabled()
    {
        var (_, output) = await Run("merchants", "create", "--name", "Corner Shop");
        var businessId = Field().Match(output).Groups[1].Value;
        var secretKey = SecretKey().Match(output).Value;
        var before = await CreateSession(secretKey);
        Assert.Empty(await MethodIds(before, secretKey));

        var (enabled, said) = await Run("merchants", "enable-methods", businessId, "sandbox_card");

        Assert.Equal(0, enabled);
        Assert.Equal($"{businessId} payment methods: sandbox_card", said.Trim());
        var id = await CreateSession(secretKey);
        Assert.Equal(["sandbox_card"], await MethodIds(id, secretKey));
        var pay = await api.Post($"/session/{id}/pay", secretKey, """{"paymentMethodId":"sandbox_card"}""");
        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
        var redirect = (await Bodies.Json(pay))["redirect_url"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await api.Host.Http.PostAsync(new Uri(redirect + "/approve"), null)).StatusCode);
        Assert.Equal("completed", (await Bodies.Json(await api.Get($"/session/{id}", secretKey)))["status"]!.GetValue<string>());

        var (disabled, _) = await Run("merchants", "disable-methods", businessId, "sandbox_card");

        Assert.Equal(0, disabled);
        var after = await CreateSession(secretKey);
        Assert.Empty(await MethodIds(after, secretKey));
        var refused = await api.Post($"/session/{after}/pay", secretKey, """{"paymentMethodId":"sandbox_card"}""");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("""{"error":"Payment method not found"}""", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Enabling_an_unknown_method_or_one_whose_provider_is_not_configured_or_for_an_unknown_business_is_refused_and_changes_nothing()
    {
        var keys = await api.NewBusiness();
        Assert.Equal(0, (await Run("merchants", "enable-methods", keys.BusinessId, "sandbox_card")).Code);

        // zen_card is in the catalogue (appsettings.json) but no zen provider is configured.
        var (unknown, unknownSaid) = await Run("merchants", "enable-methods", keys.BusinessId, "sandbox_wallet", "no_such_method");
        var (unconfigured, unconfiguredSaid) = await Run("merchants", "enable-methods", keys.BusinessId, "sandbox_wallet", "zen_card");
        var nobodyId = "biz_nobody_" + Guid.NewGuid().ToString("N")[..8];
        var (nobody, nobodySaid) = await Run("merchants", "enable-methods", nobodyId, "sandbox_card");
        var (typo, typoSaid) = await Run("merchants", "disable-methods", keys.BusinessId, "sandbox_crad");

        Assert.Equal([1, 1, 1, 1], new[] { unknown, unconfigured, nobody, typo });
        Assert.Equal("Unknown payment method 'no_such_method': it is not in the catalogue (PaySessions:PaymentMethods).", unknownSaid.Trim());
        Assert.Equal(
            "Payment method 'zen_card' cannot be enabled: its provider 'zen' is not configured (PaySessions:Providers:zen).",
            unconfiguredSaid.Trim());
        Assert.Equal($"Business {nobodyId} is not registered.", nobodySaid.Trim());
        Assert.Equal($"Unknown payment method 'sandbox_crad': it is neither enabled for {keys.BusinessId} nor in the catalogue.", typoSaid.Trim());
        var profile = await api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).GetProfile();
        Assert.Equal(["sandbox_card"], profile!.EnabledPaymentMethods);
        Assert.Null(await api.Host.Grains.GetGrain<IBusinessGrain>(nobodyId).GetProfile());
    }

    [Fact]
    public async Task Merchants_list_shows_every_business_its_methods_and_key_prefixes_and_never_a_key()
    {
        var (_, output) = await Run("merchants", "create", "--name", "Listed Ltd");
        var businessId = Field().Match(output).Groups[1].Value;
        var secretKey = SecretKey().Match(output).Value;
        var publicKey = PublicKey().Match(output).Value;
        Assert.Equal(0, (await Run("merchants", "enable-methods", businessId, "sandbox_wallet", "sandbox_card")).Code);
        Assert.Equal(0, (await Run("merchants", "revoke-key", publicKey, "--business", businessId)).Code);

        var (code, listing) = await Run("merchants", "list");

        Assert.Equal(0, code);
        Assert.DoesNotContain(secretKey, listing, StringComparison.Ordinal);
        Assert.DoesNotContain(publicKey, listing, StringComparison.Ordinal);
        Assert.DoesNotContain(secretKey[12..24], listing, StringComparison.Ordinal);
        Assert.Contains($"{ApiFixture.DevBusiness}  Dev Merchant", listing, StringComparison.Ordinal);
        var block = Block(listing, businessId);
        Assert.Equal(7, block.Count);
        Assert.Equal($"{businessId}  Listed Ltd", block[0]);
        Assert.Matches(@"^  created:  \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$", block[1]);
        Assert.Equal("  methods:  sandbox_wallet, sandbox_card", block[2]);
        Assert.Equal("  webhook events: succeeded", block[3]);
        Assert.Equal("  late payments: refund", block[4]);
        Assert.Matches($@"^  key:      {Regex.Escape(publicKey[..12])}…  public test  revoked .+  sha256 {ApiKeys.Hash(publicKey)}$", block[5]);
        Assert.Matches($@"^  key:      {Regex.Escape(secretKey[..12])}…  secret test  active  sha256 {ApiKeys.Hash(secretKey)}$", block[6]);
    }

    [Fact]
    public async Task Merchants_create_with_a_parent_makes_a_sub_account_its_parent_acts_for_and_list_shows_both_sides()
    {
        var (_, parentOutput) = await Run("merchants", "create", "--name", "Platform Ltd");
        var parentId = Field().Match(parentOutput).Groups[1].Value;

        var (code, output) = await Run("merchants", "create", "--name", "Seller Shop", "--parent", parentId);

        Assert.Equal(0, code);
        var subId = Field().Match(output).Groups[1].Value;
        Assert.Contains($"parent:      {parentId}", output, StringComparison.Ordinal);
        Assert.True(await api.Host.Grains.GetGrain<IBusinessGrain>(parentId).ActsFor(subId));
        var (_, listing) = await Run("merchants", "list");
        var sub = Block(listing, subId);
        Assert.Equal($"{subId}  Seller Shop", sub[0]);
        Assert.Equal($"  parent:   {parentId}", sub[2]);
        Assert.Contains($"  subaccounts: {subId}", Block(listing, parentId));
    }

    [Fact]
    public async Task Merchants_create_under_an_unknown_parent_or_under_a_sub_account_is_refused_and_creates_nothing()
    {
        var (_, parentOutput) = await Run("merchants", "create", "--name", "Platform Ltd");
        var parentId = Field().Match(parentOutput).Groups[1].Value;
        var (_, subOutput) = await Run("merchants", "create", "--name", "Seller Shop", "--parent", parentId);
        var subId = Field().Match(subOutput).Groups[1].Value;
        var (_, before) = await Run("merchants", "list");

        var (unknown, unknownSaid) = await Run("merchants", "create", "--name", "Orphan", "--parent", "biz_nobody_at_all");
        var (deep, deepSaid) = await Run("merchants", "create", "--name", "Too Deep", "--parent", subId);

        Assert.Equal([1, 1], new[] { unknown, deep });
        Assert.Equal("Business biz_nobody_at_all is not registered.", unknownSaid.Trim());
        Assert.Equal($"Business {subId} is itself a sub-account of {parentId}: sub-accounts are one level deep.", deepSaid.Trim());
        Assert.DoesNotContain("secret_key", unknownSaid + deepSaid, StringComparison.Ordinal);
        var (_, after) = await Run("merchants", "list");
        Assert.Equal(before.Split('\n').Count(l => l.StartsWith("biz_", StringComparison.Ordinal)), after.Split('\n').Count(l => l.StartsWith("biz_", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Merchants_create_shows_a_callback_token_once_and_rotate_callback_token_replaces_it()
    {
        var (_, output) = await Run("merchants", "create", "--name", "Token Shop");
        var businessId = Field().Match(output).Groups[1].Value;
        var first = CallbackToken().Match(output).Groups[1].Value;
        var protector = api.Host.Services.GetRequiredService<SecretProtector>();
        var business = api.Host.Grains.GetGrain<IBusinessGrain>(businessId);
        Assert.Equal(first, protector.Unprotect((await business.GetProtectedCallbackToken())!));

        var (code, rotated) = await Run("merchants", "rotate-callback-token", businessId);
        var (unknown, unknownSaid) = await Run("merchants", "rotate-callback-token", "biz_nobody_at_all");

        Assert.Equal(0, code);
        var second = CallbackToken().Match(rotated).Groups[1].Value;
        Assert.Matches("^[A-Za-z0-9]{48}$", second);
        Assert.NotEqual(first, second);
        Assert.Equal(second, protector.Unprotect((await business.GetProtectedCallbackToken())!));
        Assert.Equal(1, unknown);
        Assert.Equal("Business biz_nobody_at_all is not registered.", unknownSaid.Trim());

        // Shown once: the listing never carries it.
        var (_, listing) = await Run("merchants", "list");
        Assert.DoesNotContain(first, listing, StringComparison.Ordinal);
        Assert.DoesNotContain(second, listing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Merchants_set_webhook_events_chooses_the_types_a_business_receives_all_or_nothing()
    {
        var (_, output) = await Run("merchants", "create", "--name", "Choosy Shop");
        var businessId = Field().Match(output).Groups[1].Value;
        var business = api.Host.Grains.GetGrain<IBusinessGrain>(businessId);
        Assert.Equal(["succeeded"], (await business.GetProfile())!.WebhookEvents);

        var (chosen, said) = await Run("merchants", "set-webhook-events", businessId, "session.canceled,expired", "succeeded");

        Assert.Equal(0, chosen);
        Assert.Equal($"{businessId} webhook events: succeeded, expired, session.canceled", said.Trim());
        Assert.Equal(["succeeded", "expired", "session.canceled"], (await business.GetProfile())!.WebhookEvents);
        Assert.Contains("  webhook events: succeeded, expired, session.canceled", (await Run("merchants", "list")).Output, StringComparison.Ordinal);

        // One unknown name refuses the whole list, in one line, and changes nothing.
        foreach (var refusedArgs in new[] { new[] { "incomplete,succeded" }, ["incomplete", "session.completed"], ["Succeeded"], [""], [" , "] })
        {
            var (refused, refusal) = await Run(["merchants", "set-webhook-events", businessId, .. refusedArgs]);
            Assert.Equal(1, refused);
            Assert.Single(refusal.Trim().Split('\n'));
            Assert.Equal(["succeeded", "expired", "session.canceled"], (await business.GetProfile())!.WebhookEvents);
        }

        Assert.Contains("'succeded'", (await Run("merchants", "set-webhook-events", businessId, "incomplete,succeded")).Output, StringComparison.Ordinal);
        var (nobody, nobodySaid) = await Run("merchants", "set-webhook-events", "biz_nobody_at_all", "succeeded");
        Assert.Equal(1, nobody);
        Assert.Equal("Business biz_nobody_at_all is not registered.", nobodySaid.Trim());
    }

    private static List<string> Block(string listing, string businessId) =>
    [
        .. listing.Split('\n').Select(line => line.TrimEnd('\r'))
            .SkipWhile(line => !line.StartsWith(businessId + "  ", StringComparison.Ordinal))
            .TakeWhile((line, i) => i == 0 || line.StartsWith("  ", StringComparison.Ordinal)),
    ];

    private async Task<string> CreateSession(string key)
    {
        var created = await api.Post("/session", key, Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await Bodies.Json(created))["session_id"]!.GetValue<string>();
    }

    private async Task<List<string>> MethodIds(string sessionId, string key) =>
    [
        .. (await Bodies.Json(await api.Get($"/session/{sessionId}/payment-methods", key)))["payment_methods"]!.AsArray()
            .Select(m => m!["id"]!.GetValue<string>()),
    ];

    private Task<(int Code, string Output)> Run(params string[] args) => MerchantsCli.Run(api.Host, args);

    [GeneratedRegex(@"business_id:\s+(\S+)")]
    private static partial Regex Field();

    [GeneratedRegex(@"sk_test_[A-Za-z0-9]{32}")]
    private static partial Regex SecretKey();

    [GeneratedRegex(@"pk_test_[A-Za-z0-9]{32}")]
    private static partial Regex PublicKey();

    [GeneratedRegex(@"callback_token: ([A-Za-z0-9]+)")]
    private static partial Regex CallbackToken();
}
