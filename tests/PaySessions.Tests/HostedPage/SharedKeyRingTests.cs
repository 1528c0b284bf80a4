using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.HostedPage;

/// <summary>
/// The data-protection key ring lives in the deployment's PostgreSQL, so a hosted-page form
/// issued by one node is accepted by another, and its keys are stored sealed.
/// </summary>
public sealed class SharedKeyRingTests : IDisposable
{
    private readonly List<DirectoryInfo> _keyFolders = [];

    public void Dispose()
    {
        foreach (var folder in _keyFolders)
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_form_issued_by_one_node_is_accepted_by_another_node_of_the_cluster()
    {
        var identity = ClusterIdentity.New();
        // Two machines would not share a key folder: each node's own default is a folder of its own
        // here, so only the deployment's key ring can make the second node accept the first's token.
        await using var first = await TestHost.StartAsync(identity, configure: OwnKeyFolder);
        await using var second = await TestHost.StartAsync(identity, configure: OwnKeyFolder);
        var id = await NewSession(first);
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies });

        // The page and its antiforgery cookie from the first node; the form posted to the second
        // (cookies belong to the host, 127.0.0.1, whatever the port, as in a browser).
        var page = await browser.GetStringAsync(new Uri(first.BaseAddress, $"/pay/{id}"));
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["method"] = "sandbox_card",
            ["__RequestVerificationToken"] = HostedPageFixture.TokenOf(page),
        });
        var chosen = await browser.PostAsync(new Uri(second.BaseAddress, $"/pay/{id}"), form);

        Assert.Equal(HttpStatusCode.SeeOther, chosen.StatusCode);
        Assert.Contains("/sandbox/checkout/", chosen.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_stored_keys_are_sealed_with_the_secrets_key_and_shared_by_every_node()
    {
        var identity = ClusterIdentity.New();
        await using (var host = await TestHost.StartAsync(identity))
        {
            using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() });
            await browser.GetStringAsync(new Uri(host.BaseAddress, $"/pay/{await NewSession(host)}"));
        }

        await using var db = await TestDatabase.OpenAsync(identity.Database);
        await using var command = db.CreateCommand("SELECT xml FROM data_protection_keys");
        var rows = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }
        }

        var key = Assert.Single(rows);
        var sealedKey = Assert.Single(System.Xml.Linq.XElement.Parse(key).Descendants("sealedBySecretsKey"));
        Assert.StartsWith("v1.", sealedKey.Value, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", key, StringComparison.Ordinal);

        // A node started later uses the same key rather than making its own.
        await using var later = await TestHost.StartAsync(identity);
        using var again = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() });
        await again.GetStringAsync(new Uri(later.BaseAddress, $"/pay/{await NewSession(later)}"));
        await using var count = db.CreateCommand("SELECT count(*) FROM data_protection_keys");
        Assert.Equal(1L, await count.ExecuteScalarAsync());
    }

    private void OwnKeyFolder(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder)
    {
        var folder = Directory.CreateTempSubdirectory("paysessions-keys-");
        _keyFolders.Add(folder);
        builder.Services.AddDataProtection().PersistKeysToFileSystem(folder);
    }

    private static async Task<string> NewSession(TestHost host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/session", UriKind.Relative))
        {
            Content = new StringContent(Bodies.SeedExample().ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiFixture.DevSecretKey);
        var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return Bodies.ParseSessionId(await response.Content.ReadAsStringAsync());
    }
}
