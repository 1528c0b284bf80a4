using System.Net;
using System.Text.Json.Nodes;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.HostedPage;

/// <summary>The hosted payment page over plain HTTP: what it shows, its headers, its forms and refusals.</summary>
[Collection(HostedPageCollection.Name)]
public sealed class HostedPageTests(HostedPageFixture fixture)
{
    [Fact]
    public async Task An_open_session_shows_the_business_the_order_the_total_the_time_left_and_a_button_per_method()
    {
        var id = await fixture.NewSession(body =>
        {
            body["amount"] = 12345;
            body["items"] = new JsonArray(
                new JsonObject { ["name"] = "Premium Plan", ["quantity"] = 1, ["price"] = 10000 },
                new JsonObject { ["name"] = "Sticker pack", ["quantity"] = 5, ["price"] = 469 });
        });
        using var browser = fixture.Browser();

        var response = await browser.GetAsync(new Uri($"/pay/{id}", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Dev Merchant", html, StringComparison.Ordinal);
        Assert.Contains("Premium subscription", html, StringComparison.Ordinal);
        Assert.Contains("Sticker pack", html, StringComparison.Ordinal);
        Assert.Contains("Quantity: 5", html, StringComparison.Ordinal);
        Assert.Contains("$123.45", html, StringComparison.Ordinal);
        Assert.Matches("Time left to pay: 2[34] h [0-9]+ min", html);
        Assert.Contains("name=\"method\" value=\"sandbox_card\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"method\" value=\"" + HostedPageFixture.BrokenMethod + "\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        HostedPageFixture.TokenOf(html);
    }

    [Theory]
    [InlineData("/pay/{id}")]
    [InlineData("/pay/0123456789abcdef0123456789abcdef")]
    public async Task Every_page_has_the_strict_headers(string path)
    {
        var id = await fixture.NewSession();
        using var browser = fixture.Browser();

        var response = await browser.GetAsync(new Uri(path.Replace("{id}", id, StringComparison.Ordinal), UriKind.Relative));

        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", csp, StringComparison.Ordinal);
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.True(response.Headers.CacheControl?.NoStore, response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task The_stylesheet_is_served_under_its_hash_with_long_caching()
    {
        using var browser = fixture.Browser();
        var html = await (await browser.GetAsync(new Uri($"/pay/{await fixture.NewSession()}", UriKind.Relative))).Content.ReadAsStringAsync();
        var href = System.Text.RegularExpressions.Regex.Match(html, "href=\"(/pay/assets/page\\.[0-9a-f]{16}\\.css)\"").Groups[1].Value;

        var css = await browser.GetAsync(new Uri(href, UriKind.Relative));
        var wrong = await browser.GetAsync(new Uri("/pay/assets/page.0000000000000000.css", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromDays(365), css.Headers.CacheControl?.MaxAge);
        Assert.Equal(HttpStatusCode.NotFound, wrong.StatusCode);
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("ps-0123456789abcdef01234567")]
    [InlineData("not-a-session")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    public async Task An_unknown_id_is_a_404_page_that_reveals_nothing(string id)
    {
        using var browser = fixture.Browser();
        var reference = await browser.GetAsync(new Uri("/pay/ffffffffffffffffffffffffffffffff", UriKind.Relative));

        var response = await browser.GetAsync(new Uri("/pay/" + id, UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Payment not found", html, StringComparison.Ordinal);
        Assert.DoesNotContain(id, html, StringComparison.Ordinal);
        // Well-formed or not, known shape or not: the same page, byte for byte.
        Assert.Equal(await reference.Content.ReadAsStringAsync(), html);
    }

    [Fact]
    public async Task Every_merchant_supplied_string_is_html_encoded()
    {
        const string Hostile = "<script>alert(1)</script>\"'&";
        var business = fixture.Api.Host.Grains.GetGrain<IBusinessGrain>(TestSessions.NewBusiness());
        await business.Register(Hostile);
        var keys = await business.IssueKeys(ApiKeyMode.Test);
        await business.EnablePaymentMethods(["sandbox_card"]);
        var body = Bodies.SeedExample(orderId: Hostile, customer: Hostile);
        body["description"] = Hostile;
        body["metadata"] = new JsonObject { [Hostile] = Hostile };
        body["items"] = new JsonArray(new JsonObject { ["name"] = Hostile, ["quantity"] = 1, ["price"] = 10000 });
        var created = await fixture.Api.Post("/session", keys.SecretKey, body.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = Bodies.ParseSessionId(await created.Content.ReadAsStringAsync());
        using var browser = fixture.Browser();

        var html = await (await browser.GetAsync(new Uri($"/pay/{id}", UriKind.Relative))).Content.ReadAsStringAsync();

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        // Business name (twice: bar and heading), description, item name: each one encoded.
        Assert.True(html.Split("&lt;script&gt;").Length - 1 >= 4, html);
    }

    [Fact]
    public async Task Choosing_a_method_starts_the_payment_and_answers_303_to_the_provider()
    {
        var id = await fixture.NewSession();
        using var browser = fixture.Browser();
        var token = HostedPageFixture.TokenOf(await browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative)));

        var response = await Choose(browser, id, "sandbox_card", token);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Matches("/sandbox/checkout/sbx_[0-9a-f]{24}$", response.Headers.Location!.ToString());
        Assert.Equal(SessionStatus.PaymentInitiated, (await fixture.Snapshot(id))!.Status);
    }

    [Fact]
    public async Task A_form_without_a_valid_token_is_a_400_page_and_starts_nothing()
    {
        var id = await fixture.NewSession();
        using var browser = fixture.Browser();
        var token = HostedPageFixture.TokenOf(await browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative)));
        using var stranger = fixture.Browser();

        var withoutToken = await Choose(browser, id, "sandbox_card", token: null);
        var withoutCookie = await Choose(stranger, id, "sandbox_card", token);
        var forgedToken = await Choose(browser, id, "sandbox_card", "CfDJ8" + new string('A', 100));

        foreach (var response in new[] { withoutToken, withoutCookie, forgedToken })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("Your request could not be processed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var session = await fixture.Snapshot(id);
        Assert.Equal(SessionStatus.Created, session!.Status);
        Assert.Null(session.PaymentMethodId);
        Assert.Single(await fixture.Api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetEvents());
    }

    [Fact]
    public async Task A_session_bound_to_another_address_answers_a_403_page_and_starts_nothing()
    {
        var id = await fixture.NewSession(body => body["ip"] = "203.0.113.9");
        using var browser = fixture.Browser();
        var token = HostedPageFixture.TokenOf(await browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative)));

        var response = await Choose(browser, id, "sandbox_card", token);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("This payment cannot be made from your connection", html, StringComparison.Ordinal);
        Assert.Contains("different internet connection", html, StringComparison.Ordinal);
        Assert.Equal(SessionStatus.Created, (await fixture.Snapshot(id))!.Status);
    }

    [Fact]
    public async Task A_provider_error_shows_the_page_again_with_a_plain_message_and_the_other_methods()
    {
        var id = await fixture.NewSession();
        using var browser = fixture.Browser();
        var token = HostedPageFixture.TokenOf(await browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative)));

        var response = await Choose(browser, id, HostedPageFixture.BrokenMethod, token);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("The payment could not be started with Broken card. No money was taken.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"" + HostedPageFixture.BrokenMethod + "\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"method\" value=\"sandbox_card\"", html, StringComparison.Ordinal);
        Assert.Equal(SessionStatus.Created, (await fixture.Snapshot(id))!.Status);

        // The page it shows again is usable: its new form starts a payment with another method.
        var again = await Choose(browser, id, "sandbox_card", HostedPageFixture.TokenOf(html));
        Assert.Equal(HttpStatusCode.SeeOther, again.StatusCode);
    }

    [Fact]
    public async Task After_the_sandbox_approves_the_customer_lands_back_on_the_page_and_sees_the_payment_received()
    {
        var id = await fixture.NewSession();
        using var browser = fixture.Browser();
        var token = HostedPageFixture.TokenOf(await browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative)));
        var checkout = (await Choose(browser, id, "sandbox_card", token)).Headers.Location!;

        var waiting = await browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative));
        var approved = await browser.PostAsync(new Uri(checkout + "/approve"), null);
        var landing = approved.Headers.Location!.ToString();
        var final = await browser.GetAsync(new Uri(landing, UriKind.Relative));
        var html = await final.Content.ReadAsStringAsync();

        Assert.Contains("Waiting for confirmation", waiting, StringComparison.Ordinal);
        Assert.Contains($"<meta http-equiv=\"refresh\" content=\"{HostedPageFixture.WaitingRefreshSeconds}\" />", waiting, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.SeeOther, approved.StatusCode);
        Assert.Equal($"/pay/{id}?after=payment", landing);
        Assert.Equal(HttpStatusCode.OK, final.StatusCode);
        Assert.Contains("Payment received", html, StringComparison.Ordinal);
        Assert.Contains("$100.00", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http-equiv=\"refresh\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<form", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_decline_the_customer_lands_back_on_an_open_page_and_may_choose_again()
    {
        var id = await fixture.NewSession();
        using var browser = fixture.Browser();
        var token = HostedPageFixture.TokenOf(await browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative)));
        var checkout = (await Choose(browser, id, "sandbox_card", token)).Headers.Location!;

        var declined = await browser.PostAsync(new Uri(checkout + "/decline"), null);
        var html = await browser.GetStringAsync(new Uri(declined.Headers.Location!.ToString(), UriKind.Relative));

        Assert.Equal(HttpStatusCode.SeeOther, declined.StatusCode);
        Assert.Contains("Your last payment did not go through", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http-equiv=\"refresh\"", html, StringComparison.Ordinal);
        var again = await Choose(browser, id, "sandbox_wallet", HostedPageFixture.TokenOf(html));
        Assert.Equal(HttpStatusCode.SeeOther, again.StatusCode);
    }

    [Fact]
    public async Task A_canceled_session_shows_a_final_page_without_forms()
    {
        var id = await fixture.NewSession();
        Assert.True((await fixture.Api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).Cancel("test")).Succeeded);
        using var browser = fixture.Browser();

        var html = await browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative));

        Assert.Contains("This payment was canceled", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<form", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("id-ID,id;q=0.9,en;q=0.8", "id")]
    [InlineData("fr-FR,id;q=0.5,en;q=0.4", "id")]
    [InlineData("en-GB,en;q=0.9,id;q=0.8", "en")]
    [InlineData("fr-FR", "en")]
    [InlineData("", "en")]
    public async Task A_payviox_page_speaks_the_browsers_language(string acceptLanguage, string expected)
    {
        var id = await fixture.NewSession(body =>
        {
            body["currency"] = "IDR";
            body["amount"] = 15000000;
            body["items"] = new JsonArray(new JsonObject { ["name"] = "Langganan", ["quantity"] = 1, ["price"] = 15000000 });
        });
        using var browser = fixture.Browser();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/pay/{id}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Accept-Language", acceptLanguage);

        var html = await (await browser.SendAsync(request)).Content.ReadAsStringAsync();

        Assert.Contains($"<html lang=\"{expected}\">", html, StringComparison.Ordinal);
        if (expected == "id")
        {
            Assert.Contains("Bayar dengan Sandbox card", html, StringComparison.Ordinal);
            Assert.Contains("Rp150.000", html, StringComparison.Ordinal);
            Assert.Contains("Jumlah: 1", html, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("Pay with Sandbox card", html, StringComparison.Ordinal);
            Assert.Contains("Rp150,000", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_xendit_page_speaks_the_sessions_locale_and_shows_the_amount_as_sent()
    {
        var id = await XenditSession(SessionType.Pay, locale: "id");
        using var browser = fixture.Browser();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/pay/{id}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Accept-Language", "en-US,en;q=0.9");

        var html = await (await browser.SendAsync(request)).Content.ReadAsStringAsync();

        Assert.Contains("<html lang=\"id\">", html, StringComparison.Ordinal);
        Assert.Contains("Rp150.000", html, StringComparison.Ordinal);
        Assert.Contains("Bayar dengan Sandbox card", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_xendit_save_session_offers_to_save_a_method_instead_of_a_total()
    {
        var id = await XenditSession(SessionType.Save, locale: "en");
        using var browser = fixture.Browser();

        var html = await browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative));

        Assert.Contains("Save a payment method", html, StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"amount\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Right_after_a_completed_payment_a_xendit_customer_is_sent_to_the_success_return_url_and_later_visits_show_the_final_page()
    {
        var id = await XenditSession(SessionType.Pay, locale: "en");
        using var browser = fixture.Browser();
        var landing = await PaidWithTheSandboxCard(browser, id);

        var back = await browser.GetAsync(new Uri(landing, UriKind.Relative));
        var later = await browser.GetAsync(new Uri($"/pay/{id}", UriKind.Relative));
        var html = await later.Content.ReadAsStringAsync();

        Assert.Equal($"/pay/{id}?after=payment", landing);
        Assert.Equal(HttpStatusCode.SeeOther, back.StatusCode);
        Assert.Equal("https://shop.example/done", back.Headers.Location!.ToString());
        Assert.Equal("no-store", back.Headers.CacheControl!.ToString());
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.Contains("Payment received", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://shop.example/done\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_payment_a_payviox_session_without_a_return_url_shows_its_final_page()
    {
        var id = await fixture.NewSession();
        using var browser = fixture.Browser();
        await PaidWithTheSandboxCard(browser, id);

        var back = await browser.GetAsync(new Uri($"/pay/{id}?after=payment", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Contains("Payment received", await back.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_canceled_xendit_session_links_back_to_its_cancel_return_url()
    {
        var id = await XenditSession(SessionType.Pay, locale: "en");
        await fixture.Api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).Cancel("test");
        using var browser = fixture.Browser();

        var html = await browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative));

        Assert.Contains("This payment was canceled", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://shop.example/cancel?x=1&amp;y=2\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_session_shows_a_final_page_as_soon_as_its_time_is_up()
    {
        var id = TestSessions.NewId();
        var command = TestSessions.Command(ApiFixture.DevBusiness, expiresIn: TimeSpan.FromSeconds(1)) with { ClientIp = null };
        Assert.True((await fixture.Api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).Create(command)).IsCreated);
        using var browser = fixture.Browser();

        var html = await Eventually.Read(
            () => browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative)),
            page => page.Contains("This payment has expired", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15));

        Assert.DoesNotContain("<form", html, StringComparison.Ordinal);
    }

    // Chooses the sandbox card on the page, approves at the sandbox, waits until the session is
    // completed, and gives where the sandbox sent the customer back to.
    private async Task<string> PaidWithTheSandboxCard(HttpClient browser, string id)
    {
        var token = HostedPageFixture.TokenOf(await browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative)));
        var checkout = (await Choose(browser, id, "sandbox_card", token)).Headers.Location!;
        var approved = await browser.PostAsync(new Uri(checkout + "/approve"), null);
        await Eventually.Read(() => fixture.Snapshot(id), s => s?.Status == SessionStatus.Completed, TimeSpan.FromSeconds(30));
        return approved.Headers.Location!.ToString();
    }

    // A Xendit-style session made through the grain, as the dialect's create records it.
    private async Task<string> XenditSession(SessionType type, string locale)
    {
        var id = SessionIds.NewXendit();
        var save = type == SessionType.Save;
        var command = TestSessions.Command(ApiFixture.DevBusiness) with
        {
            ClientIp = null,
            Dialect = SessionDialect.Xendit,
            SessionType = type,
            Currency = "IDR",
            Amount = save ? 0 : 15000000,
            Items = save ? [] : [new LineItem("Langganan", 1, 15000000)],
            Xendit = new XenditSessionDetails
            {
                Mode = IntegrationMode.PaymentLink,
                Country = "ID",
                Locale = locale,
                AmountAsSent = save ? 0 : 150000,
                SuccessReturnUrl = "https://shop.example/done",
                CancelReturnUrl = "https://shop.example/cancel?x=1&y=2",
            },
        };
        var created = await fixture.Api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).Create(command);
        Assert.True(created.IsCreated, created.Message);
        return id;
    }

    private static async Task<HttpResponseMessage> Choose(HttpClient browser, string id, string method, string? token)
    {
        var fields = new Dictionary<string, string> { ["method"] = method };
        if (token is not null)
        {
            fields["__RequestVerificationToken"] = token;
        }

        using var form = new FormUrlEncodedContent(fields);
        return await browser.PostAsync(new Uri($"/pay/{id}", UriKind.Relative), form);
    }
}
