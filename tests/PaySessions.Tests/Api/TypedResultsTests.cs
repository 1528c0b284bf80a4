using System.Net;
using System.Reflection;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using PaySessions.Api;
using PaySessions.Api.Http;
using PaySessions.Api.OpenApi;
using PaySessions.Api.Sessions;
using PaySessions.Api.Xendit;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Xendit;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// Every route of the described API answers typed results (<c>Results&lt;Ok&lt;T&gt;, NotFound&lt;E&gt;, …&gt;</c>):
/// the statuses and bodies of its own answers come from its handler's return type, and what is
/// written by hand (<see cref="ApiResponses.AnswersErrors"/>) is only what filters answer before
/// the handler runs. A route added with a bare <c>IResult</c>, or with a status said by hand that
/// its type could say, fails here with its name.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class TypedResultsTests(ApiFixture api)
{
    // What filters answer, which no handler's type can say: for-user-id's 403 on the Xendit
    // group, and the Idempotency-Key filter's 400, 409 and 422 on merchant POSTs.
    private static readonly int[][] FilterAnswers = [[StatusCodes.Status403Forbidden], [400, 409, 422]];

    [Fact]
    public void Every_described_route_answers_typed_results_that_name_its_success_and_its_own_errors()
    {
        var routes = api.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(route => route.Metadata.GetMetadata<ApiResponses.DescribedRoute>() is not null)
            .ToList();
        Assert.True(routes.Count >= 20, $"expected the API's routes, found {routes.Count}");

        var problems = new List<string>();
        foreach (var route in routes)
        {
            var name = $"{route.DisplayName} ({route.RoutePattern.RawText})";
            var handler = route.Metadata.OfType<MethodInfo>().FirstOrDefault();
            var answer = handler is null ? null : Unwrapped(handler.ReturnType);
            if (handler is null || answer is null || answer == typeof(IResult) || !typeof(IEndpointMetadataProvider).IsAssignableFrom(answer))
            {
                problems.Add($"{name}: its handler returns {answer?.Name ?? "nothing known"}, not typed results (Results<…>)");
                continue;
            }

            var typed = TypedStatuses(answer, handler);
            if (!typed.Any(status => status is >= 200 and < 300))
            {
                problems.Add($"{name}: its type names no success status");
            }

            foreach (var byHand in route.Metadata.GetOrderedMetadata<ApiResponses.DocumentedErrors>())
            {
                if (!FilterAnswers.Any(allowed => allowed.SequenceEqual(byHand.Statuses.Order())))
                {
                    problems.Add($"{name}: {string.Join(", ", byHand.Statuses)} documented by hand; a handler's answers belong in its typed result");
                }
            }

            // The description lists each typed status once (typed first, so with the handler's body).
            var described = route.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>().ToList();
            foreach (var status in typed)
            {
                if (described.Count(p => p.StatusCode == status) != 1)
                {
                    problems.Add($"{name}: {status} is described {described.Count(p => p.StatusCode == status)} times");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void The_owner_check_is_in_the_pipeline_of_every_owned_session_request()
    {
        var requests = typeof(RequestConventions).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && RequestConventions.OwnedSessionResponse(t) is not null)
            .ToList();
        Assert.True(requests.Count >= 12, string.Join(", ", requests.Select(r => r.Name)));

        using var scope = api.Host.Services.CreateScope();
        foreach (var request in requests)
        {
            var behaviour = typeof(IPipelineBehavior<,>).MakeGenericType(request, RequestConventions.OwnedSessionResponse(request)!);
            var pipeline = (IEnumerable<object>)scope.ServiceProvider.GetRequiredService(typeof(IEnumerable<>).MakeGenericType(behaviour));
            Assert.True(
                pipeline.Any(b => b.GetType().IsGenericType && b.GetType().GetGenericTypeDefinition() == typeof(OwnedSessionBehavior<,>)),
                $"{request.Name} has no owner check in its pipeline");
        }
    }

    private static Type? Unwrapped(Type type) =>
        type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>))
            ? type.GetGenericArguments()[0]
            : type;

    /// <summary>The statuses <paramref name="answer"/>'s own metadata names, as ASP.NET asks it when it maps the route.</summary>
    private static HashSet<int> TypedStatuses(Type answer, MethodInfo handler)
    {
        var builder = new RouteEndpointBuilder(_ => Task.CompletedTask, RoutePatternFactory.Parse("/"), 0);
        typeof(TypedResultsTests).GetMethod(nameof(Populate), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(answer)
            .Invoke(null, [handler, builder]);
        return [.. builder.Metadata.OfType<IProducesResponseTypeMetadata>().Select(p => p.StatusCode)];
    }

    private static void Populate<T>(MethodInfo handler, EndpointBuilder builder)
        where T : IEndpointMetadataProvider => T.PopulateMetadata(handler, builder);
}

/// <summary>
/// The document is derived from the handlers' types, in both dialects: a host of its own maps the
/// real GET of a session twice per dialect, once as the service does (its typed result names the
/// owner check's 404) and once with the 404 taken out of the type (the same bytes, answered as an
/// untyped JSON result). The second route's description loses the 404, and the contract check then
/// refuses the very answer it passes on the first.
/// </summary>
public sealed class DocumentFromTypedResultsTests(DocumentFromTypedResultsTests.Host host) : IClassFixture<DocumentFromTypedResultsTests.Host>
{
    private readonly ApiFixture _api = host.Api;

    public sealed class Host : IAsyncLifetime
    {
        public ApiFixture Api { get; } = new();

        public async Task InitializeAsync() => Api.Use(await TestHost.StartAsync(map: app =>
        {
            // As Delegates: the route analyzer cannot read handlers of another assembly (it throws).
            Delegate payviox = GetSessionEndpoint.Handle, payvioxWithout404 = PayvioxWithout404;
            Delegate xendit = GetXenditSessionEndpoint.Handle, xenditWithout404 = XenditWithout404;
            var probe = app.MapGroup("/probe").AddSharedResponses().RequireAuthorization();
            var payvioxGroup = probe.MapGroup("/payviox").WithErrorShape(ErrorShapes.Default);
            payvioxGroup.MapGet("/typed/{id}", payviox);
            payvioxGroup.MapGet("/untyped-404/{id}", payvioxWithout404);
            var xenditGroup = probe.MapGroup("/xendit").WithErrorShape(XenditErrorShape.Instance);
            xenditGroup.AddEndpointFilter<ForUserIdFilter>();
            xenditGroup.MapGet("/typed/{payment_session_id}", xendit);
            xenditGroup.MapGet("/untyped-404/{payment_session_id}", xenditWithout404);
        }));

        public Task DisposeAsync() => Api.DisposeAsync();
    }

    [Fact]
    public async Task A_404_in_the_handlers_type_is_documented_and_passes_the_contract_and_without_it_is_refused_in_both_dialects()
    {
        var document = ApiContract.Parse(await _api.Host.Http.GetStringAsync(ApiContract.DocumentPath));
        IReadOnlyDictionary<int, System.Text.Json.Nodes.JsonNode?> Responses(string path) =>
            document.Operations.Single(o => o.Method == "GET" && o.Path == path).Responses;

        Assert.Equal("#/$defs/ApiErrorsErrorBody", (string)Responses("/probe/payviox/typed/{id}")[404]!["$ref"]!);
        Assert.Equal("#/$defs/XenditErrorsErrorBody", (string)Responses("/probe/xendit/typed/{payment_session_id}")[404]!["$ref"]!);
        Assert.DoesNotContain(404, Responses("/probe/payviox/untyped-404/{id}").Keys);
        Assert.DoesNotContain(404, Responses("/probe/xendit/untyped-404/{payment_session_id}").Keys);
        Assert.Contains(200, Responses("/probe/payviox/untyped-404/{id}").Keys);
        Assert.Contains(200, Responses("/probe/xendit/untyped-404/{payment_session_id}").Keys);

        var created = await _api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString());
        var id = Bodies.ParseSessionId(await created.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await _api.Get($"/probe/payviox/typed/{id}", ApiFixture.DevSecretKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _api.Get($"/probe/payviox/untyped-404/{id}", ApiFixture.DevSecretKey)).StatusCode);

        foreach (var (typed, untyped, body) in new[]
        {
            ($"/probe/payviox/typed/{TestSessions.NewId()}", $"/probe/payviox/untyped-404/{TestSessions.NewId()}", """{"error":"Session not found"}"""),
            ($"/probe/xendit/typed/{SessionIds.NewXendit()}", $"/probe/xendit/untyped-404/{SessionIds.NewXendit()}",
                """{"error_code":"DATA_NOT_FOUND","message":"The payment session provided in the request does not exist"}"""),
        })
        {
            var answered = await _api.Get(typed, ApiFixture.DevSecretKey);
            Assert.Equal(HttpStatusCode.NotFound, answered.StatusCode);
            Assert.Equal(body, await answered.Content.ReadAsStringAsync());

            var refused = await Assert.ThrowsAsync<ApiContractViolationException>(() => _api.Get(untyped, ApiFixture.DevSecretKey));
            Assert.Contains("answered 404, which the API description does not list", refused.Message, StringComparison.Ordinal);
        }
    }

    private static async Task<Results<Ok<SessionView>, JsonHttpResult<ApiErrors.ErrorBody>>> PayvioxWithout404(string id, HttpContext http, IMediator mediator) =>
        (await GetSessionEndpoint.Handle(id, http, mediator)).Result switch
        {
            Ok<SessionView> ok => ok,
            NotFound<ApiErrors.ErrorBody> notFound => TypedResults.Json(notFound.Value!, statusCode: StatusCodes.Status404NotFound),
            var other => throw new InvalidOperationException(other.GetType().Name),
        };

    private static async Task<Results<Ok<XenditSessionObject>, JsonHttpResult<XenditErrors.ErrorBody>>> XenditWithout404(
        [Microsoft.AspNetCore.Mvc.FromRoute(Name = "payment_session_id")] string id, HttpContext http, IMediator mediator) =>
        (await GetXenditSessionEndpoint.Handle(id, http, mediator)).Result switch
        {
            Ok<XenditSessionObject> ok => ok,
            NotFound<XenditErrors.ErrorBody> notFound => TypedResults.Json(notFound.Value!, statusCode: StatusCodes.Status404NotFound),
            var other => throw new InvalidOperationException(other.GetType().Name),
        };
}
