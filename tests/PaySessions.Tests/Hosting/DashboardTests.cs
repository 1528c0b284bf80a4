using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PaySessions.Silo.Operators;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>
/// The Orleans Dashboard at <c>/dashboard</c> is for operators only: every one of its endpoints
/// (page, API, log stream) answers 401 without an operator's password, whatever else is sent.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class DashboardTests(ApiFixture api)
{
    // The Development operator (Silo/appsettings.Development.json), documented in the README.
    private const string DevOperator = "operator";
    private const string DevPassword = "operator-development-only";

    public static TheoryData<string, string?> RefusedCredentials => new()
    {
        { "none", null },
        { "a wrong password", Basic(DevOperator, DevPassword + "x") },
        { "an unknown operator", Basic("someone", DevPassword) },
        { "the merchant's secret key as Basic", Basic(ApiFixture.DevSecretKey, "") },
        { "the merchant's secret key as Bearer", "Bearer " + ApiFixture.DevSecretKey },
        { "no colon", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(DevOperator)) },
        { "not base64", "Basic !!!" },
    };

    [Theory]
    [MemberData(nameof(RefusedCredentials))]
    public async Task Every_dashboard_endpoint_answers_401_without_an_operator_password(string what, string? authorization)
    {
        var paths = DashboardPaths();
        Assert.True(paths.Count >= 5, $"only {paths.Count} dashboard endpoints found: {string.Join(", ", paths)}");

        foreach (var (method, path) in paths)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            using var response = await api.Host.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what}: {method} {path} answered {(int)response.StatusCode}");
            Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    [Fact]
    public async Task Wrong_operator_passwords_are_not_counted_as_guessed_merchant_keys()
    {
        // More failures than the merchant API lets one address make per minute (30): none of them
        // is a merchant key, so the merchants sharing the address keep working.
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await Get("/dashboard/ClusterStats", Basic(DevOperator, "wrong-" + i))).StatusCode);
        }

        var created = await api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString());

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Fact]
    public async Task An_operator_sees_the_dashboard_and_its_cluster_data()
    {
        var page = await Get("/dashboard/", Basic(DevOperator, DevPassword));
        var silos = await Get("/dashboard/ClusterStats", Basic(DevOperator, DevPassword));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("text/html", page.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, silos.StatusCode);
    }

    [Fact]
    public async Task A_host_whose_operators_are_not_hashed_passwords_refuses_to_start()
    {
        var settings = new Dictionary<string, string?> { ["PaySessions:Operators:Users:admin"] = "plain-text-password" };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHost.StartAsync(settings: settings));

        Assert.Contains("PaySessions:Operators:Users: 'admin'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_any_operator_the_options_are_refused_and_a_printed_hash_verifies_only_its_password()
    {
        var none = new OperatorOptionsValidator().Validate(null, new OperatorOptions());
        var hash = OperatorPasswords.Hash("correct horse battery");

        Assert.True(none.Failed);
        Assert.True(new OperatorOptionsValidator().Validate(null, new OperatorOptions { Users = { ["ops"] = hash } }).Succeeded);
        Assert.True(OperatorPasswords.Verify(hash, "correct horse battery"));
        Assert.False(OperatorPasswords.Verify(hash, "correct horse batteryx"));
    }

    [Fact]
    public async Task The_hash_password_command_prints_a_hash_and_refuses_a_short_password()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var printed = await OperatorsCommand.RunAsync(["operators", "hash-password"], new StringReader("a long enough password\n"), output, error);
        var refused = await OperatorsCommand.RunAsync(["operators", "hash-password"], new StringReader("short\n"), TextWriter.Null, error);

        Assert.Equal(0, printed);
        Assert.True(OperatorPasswords.Verify(output.ToString().Trim(), "a long enough password"));
        Assert.Equal(1, refused);
    }

    private List<(string Method, string Path)> DashboardPaths()
    {
        var endpoints = api.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        return [.. endpoints
            .Where(e => e.RoutePattern.RawText?.TrimStart('/').StartsWith("dashboard", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, Fill(e.RoutePattern.RawText!))))
            .Distinct()];
    }

    // Route parameters get a value every constraint accepts ("1"): the 401 must come before anything reads them.
    private static string Fill(string pattern) =>
        "/" + System.Text.RegularExpressions.Regex.Replace(pattern.TrimStart('/'), @"\{[^}]*\}", "1");

    private async Task<HttpResponseMessage> Get(string path, string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await api.Host.Http.SendAsync(request);
    }

    private static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
}
