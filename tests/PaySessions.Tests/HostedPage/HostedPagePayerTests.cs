using System.Net;
using System.Text.Json.Nodes;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.HostedPage;

/// <summary>Paying through the hosted page records the customer's address and browser on the attempt.</summary>
[Collection(HostedPageCollection.Name)]
public sealed class HostedPagePayerTests(HostedPageFixture fixture)
{
    [Fact]
    public async Task Choosing_a_method_on_the_page_records_the_browsers_address_and_user_agent()
    {
        const string agent = "Mozilla/5.0 (Windows NT 10.0) HostedPagePayerTests/2.0";
        var id = await fixture.NewSession();
        using var browser = fixture.Browser();
        browser.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", agent);
        var token = HostedPageFixture.TokenOf(await browser.GetStringAsync(new Uri($"/pay/{id}", UriKind.Relative)));

        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["method"] = "sandbox_card", ["__RequestVerificationToken"] = token });
        var chosen = await browser.PostAsync(new Uri($"/pay/{id}", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.SeeOther, chosen.StatusCode);

        var payment = JsonNode.Parse(await (await fixture.Api.Get($"/payment/{id}", ApiFixture.DevSecretKey)).Content.ReadAsStringAsync())!;
        Assert.Equal("pending", payment["status"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", payment["ip"]!.GetValue<string>());
        Assert.Equal(agent, payment["user_agent"]!.GetValue<string>());
    }
}
