using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Payments;

/// <summary>
/// Channel codes on the service's own catalogue (appsettings.json, the sandbox configured as in
/// Development): what a business has enabled that fits a session, and which requested codes do not.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class PaymentChannelTests(ApiFixture api)
{
    [Fact]
    public void Every_catalogue_method_has_the_channel_code_the_readme_lists()
    {
        var catalogue = api.Host.Services.GetRequiredService<IOptions<PaymentMethodCatalogOptions>>().Value.Methods;

        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["sandbox_card"] = "SANDBOX_CARD",
                ["sandbox_wallet"] = "SANDBOX_WALLET",
                ["zen_card"] = "CARDS",
                ["zen_blik"] = "BLIK",
                ["paypal"] = "PAYPAL",
                ["nicepay_va"] = "VIRTUAL_ACCOUNT",
                ["nicepay_ewallet"] = "EWALLET",
                ["cryptocom"] = "CRYPTO",
                ["nicepay_ovo"] = "OVO",
                ["nicepay_dana"] = "DANA",
            },
            catalogue.ToDictionary(m => m.Id, m => m.ChannelCode));
    }

    [Fact]
    public async Task Available_methods_carry_their_channel_code()
    {
        var business = await BusinessWith("sandbox_card", "sandbox_wallet");

        var methods = await business.GetAvailablePaymentMethods("USD", 10000, false);

        Assert.Equal(["SANDBOX_CARD", "SANDBOX_WALLET"], methods.Select(m => m.ChannelCode));
    }

    [Fact]
    public async Task Requested_channels_that_are_not_enabled_or_do_not_fit_the_session_are_named_in_the_order_asked()
    {
        var business = await BusinessWith("sandbox_card", "sandbox_wallet");

        // sandbox_wallet takes USD, EUR, GBP, PHP and IDR only; CARDS (zen_card) is not enabled; OVO
        // is not enabled either; a code in lower case is no code.
        var thb = await business.CheckPaymentChannels(
            new PaymentChannelQuery("THB", 10000, false, SessionType.Pay, ["SANDBOX_CARD", "SANDBOX_WALLET", "CARDS", "OVO", "SANDBOX_WALLET", "sandbox_card"]));

        Assert.Equal(["sandbox_card"], thb.Available.Select(m => m.Id));
        Assert.Equal(["SANDBOX_CARD"], thb.Channels);
        Assert.Equal(["SANDBOX_WALLET", "CARDS", "OVO", "sandbox_card"], thb.Unavailable);
    }

    [Fact]
    public async Task With_no_channels_requested_every_fitting_enabled_channel_is_offered()
    {
        var business = await BusinessWith("sandbox_card", "sandbox_wallet");

        var php = await business.CheckPaymentChannels(new PaymentChannelQuery("PHP", 10000, false, SessionType.Pay, []));
        var tooSmall = await business.CheckPaymentChannels(new PaymentChannelQuery("PHP", 50, false, SessionType.Pay, ["SANDBOX_CARD"]));
        var live = await business.CheckPaymentChannels(new PaymentChannelQuery("PHP", 10000, true, SessionType.Pay, ["SANDBOX_CARD"]));

        Assert.Equal(["SANDBOX_CARD", "SANDBOX_WALLET"], php.Channels);
        Assert.Empty(php.Unavailable);

        // Below sandbox_card's smallest amount (100 minor units); and the sandbox is test-only.
        Assert.Empty(tooSmall.Available);
        Assert.Equal(["SANDBOX_CARD"], tooSmall.Unavailable);
        Assert.Empty(live.Available);
        Assert.Equal(["SANDBOX_CARD"], live.Unavailable);
    }

    [Fact]
    public async Task A_save_session_moves_no_money_so_amount_bounds_do_not_apply_but_currency_does()
    {
        var business = await BusinessWith("sandbox_card", "sandbox_wallet");

        var idr = await business.CheckPaymentChannels(new PaymentChannelQuery("IDR", 0, false, SessionType.Save, []));
        var thb = await business.CheckPaymentChannels(new PaymentChannelQuery("THB", 0, false, SessionType.Save, ["SANDBOX_WALLET"]));

        Assert.Equal(["SANDBOX_CARD", "SANDBOX_WALLET"], idr.Channels);
        Assert.Equal(["SANDBOX_WALLET"], thb.Unavailable);
    }

    [Fact]
    public async Task An_unregistered_business_offers_no_channel()
    {
        var check = await api.Host.Grains.GetGrain<IBusinessGrain>(TestSessions.NewBusiness())
            .CheckPaymentChannels(new PaymentChannelQuery("USD", 10000, false, SessionType.Pay, ["SANDBOX_CARD"]));

        Assert.Empty(check.Available);
        Assert.Equal(["SANDBOX_CARD"], check.Unavailable);
    }

    private async Task<IBusinessGrain> BusinessWith(params string[] methods)
    {
        var business = api.Host.Grains.GetGrain<IBusinessGrain>(TestSessions.NewBusiness());
        await business.Register("Channel Shop");
        Assert.True((await business.EnableMethods(methods)).Accepted);
        return business;
    }
}
