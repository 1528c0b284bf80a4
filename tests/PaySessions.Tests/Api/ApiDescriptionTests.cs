using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PaySessions.Api.OpenApi;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// <c>/openapi/v1.json</c> describes every API route with its statuses, bodies and auth, and the
/// contract check that every test's responses pass through (<see cref="ApiContractHandler"/>)
/// refuses what the description does not allow.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ApiDescriptionTests(ApiFixture api)
{
    [Fact]
    public async Task The_document_describes_both_dialects_and_the_provider_callback_with_their_auth_schemes()
    {
        var document = JsonNode.Parse(await api.Host.Http.GetStringAsync(ApiContract.DocumentPath))!;
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "openapi-v1.json"), document.ToJsonString(new() { WriteIndented = true }));

        Assert.StartsWith("3.1", (string)document["openapi"]!, StringComparison.Ordinal);
        var schemes = document["components"]!["securitySchemes"]!;
        Assert.Equal("bearer", (string)schemes[ApiDescription.BearerScheme]!["scheme"]!);
        Assert.Equal("basic", (string)schemes[ApiDescription.BasicScheme]!["scheme"]!);

        var paths = document["paths"]!;
        foreach (var path in new[] { "/session", "/session/{id}", "/session/{id}/pay", "/payment/{session_id}", "/payments/methods", "/sessions", "/sessions/{payment_session_id}", "/webhooks/{provider}" })
        {
            Assert.NotNull(paths[path]);
        }

        // Xendit: Basic or Bearer; Payviox: Bearer; the provider callback: signed, no key.
        Assert.Equal(
            [ApiDescription.BasicScheme, ApiDescription.BearerScheme],
            Schemes(paths["/sessions"]!["post"]!));
        Assert.Equal([ApiDescription.BearerScheme], Schemes(paths["/session"]!["post"]!));
        Assert.Empty(Schemes(paths["/webhooks/{provider}"]!["post"]!));

        // Shared failures in each dialect's shape.
        Assert.Equal("#/components/schemas/XenditErrorsErrorBody", (string)paths["/sessions"]!["post"]!["responses"]!["401"]!["content"]!["application/json"]!["schema"]!["$ref"]!);
        Assert.Equal("#/components/schemas/ApiErrorsErrorBody", (string)paths["/session/{id}"]!["get"]!["responses"]!["401"]!["content"]!["application/json"]!["schema"]!["$ref"]!);
        Assert.NotNull(paths["/session"]!["post"]!["responses"]!["429"]!["headers"]!["Retry-After"]);
        Assert.NotNull(paths["/session"]!["post"]!["requestBody"]!["content"]!["application/json"]);
    }

    /// <summary>
    /// Every route the host serves (but the excluded ones) is in the document with its success
    /// status and every error status its metadata and the shared filters give it; a route added
    /// without its description fails here with its name.
    /// </summary>
    [Fact]
    public async Task Every_api_route_the_host_serves_is_in_the_document_with_its_success_and_error_statuses()
    {
        var contract = ApiContract.Parse(await api.Host.Http.GetStringAsync(ApiContract.DocumentPath));
        var problems = new List<string>();
        var routes = api.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        foreach (var route in routes)
        {
            var template = "/" + route.RoutePattern.RawText!.Trim('/');
            var methods = route.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            if (ApiContract.IsExcluded(template + "/") || methods.Count == 0)
            {
                continue;
            }

            foreach (var method in methods)
            {
                var operation = contract.Operations.FirstOrDefault(o => o.Method == method && o.Path == template);
                if (operation is null)
                {
                    problems.Add($"{method} {template} ({route.DisplayName}) is not in the document");
                    continue;
                }

                var expected = ApiResponses.SharedStatuses(ApiResponses.TakesMerchantKey(route.Metadata), route.Metadata.GetMetadata<ApiResponses.ReadsJsonBody>() is not null)
                    .Concat(route.Metadata.GetOrderedMetadata<ApiResponses.DocumentedErrors>().SelectMany(d => d.Statuses))
                    .Concat(route.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>().Select(p => p.StatusCode));
                var missing = expected.Where(s => !operation.Responses.ContainsKey(s)).Distinct().ToList();
                if (!operation.Responses.Keys.Any(s => s is >= 200 and < 300))
                {
                    problems.Add($"{method} {template} documents no success status");
                }

                if (missing.Count > 0)
                {
                    problems.Add($"{method} {template} does not document {string.Join(", ", missing)}");
                }

                if (ApiResponses.TakesMerchantKey(route.Metadata) && !operation.Responses.ContainsKey(401))
                {
                    problems.Add($"{method} {template} takes a key but does not document 401");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        Assert.Contains(contract.Operations, o => o.Method == "POST" && o.Path == "/sessions");
        Assert.Contains(routes, r => r.RoutePattern.RawText!.StartsWith("/pay/", StringComparison.Ordinal) || r.RoutePattern.RawText.StartsWith("pay/", StringComparison.Ordinal));
        Assert.DoesNotContain(contract.Operations, o => o.Path.StartsWith("/pay/", StringComparison.Ordinal) || o.Path.StartsWith("/sandbox/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_contract_check_refuses_a_body_of_the_wrong_shape_an_undocumented_status_and_an_unknown_operation()
    {
        var created = await api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = Bodies.ParseSessionId(await created.Content.ReadAsStringAsync());

        // The real answer passes; the same request answered wrongly (as a broken handler would) is refused.
        var own = await api.Get($"/session/{id}", ApiFixture.DevSecretKey);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        var ownBody = await own.Content.ReadAsStringAsync();
        await SendThrough($"/session/{id}", HttpStatusCode.OK, ownBody);

        var wrongType = await Assert.ThrowsAsync<ApiContractViolationException>(
            () => SendThrough($"/session/{id}", HttpStatusCode.OK, WithAmountAsText(ownBody)));
        Assert.Contains("GetSession", wrongType.Message, StringComparison.Ordinal);
        Assert.Contains("answered 200", wrongType.Message, StringComparison.Ordinal);
        Assert.Contains("/amount", wrongType.Message, StringComparison.Ordinal);

        var xenditShapeOnPayviox = await Assert.ThrowsAsync<ApiContractViolationException>(
            () => SendThrough($"/session/{id}", HttpStatusCode.NotFound, "{\"error_code\":\"DATA_NOT_FOUND\",\"message\":\"nope\"}"));
        Assert.Contains("answered 404", xenditShapeOnPayviox.Message, StringComparison.Ordinal);

        var undocumented = await Assert.ThrowsAsync<ApiContractViolationException>(
            () => SendThrough($"/session/{id}", HttpStatusCode.PaymentRequired, "{\"error\":\"Pay first\"}"));
        Assert.Contains("answered 402, which the API description does not list", undocumented.Message, StringComparison.Ordinal);

        var unknown = await Assert.ThrowsAsync<ApiContractViolationException>(
            () => SendThrough("/session/" + id, HttpStatusCode.OK, "{}", HttpMethod.Delete));
        Assert.Contains("no operation DELETE", unknown.Message, StringComparison.Ordinal);
    }

    /// <summary>The host's real document with a made-up answer from "the host" in place of the real one.</summary>
    private async Task SendThrough(string path, HttpStatusCode status, string body, HttpMethod? method = null)
    {
        using var client = new HttpClient(new ApiContractHandler(api.Host.BaseAddress, new Answering(status, body))) { BaseAddress = api.Host.BaseAddress };
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        using var response = await client.SendAsync(request);
    }

    /// <summary>The real body with its amount written as text: a broken view a merchant's typed client would choke on.</summary>
    private static string WithAmountAsText(string body)
    {
        var json = JsonNode.Parse(body)!.AsObject();
        json["amount"] = json["amount"]!.ToJsonString();
        return json.ToJsonString();
    }

    private static List<string> Schemes(JsonNode operation) =>
        [.. (operation["security"]?.AsArray() ?? []).SelectMany(r => r!.AsObject().Select(p => p.Key))];

    private sealed class Answering(HttpStatusCode status, string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json"), RequestMessage = request });
    }
}
