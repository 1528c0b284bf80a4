using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PaySessions.Api.Http;

namespace PaySessions.Api.Sdk;

/// <summary>
/// The drop-in browser SDK (<c>/sdk/payviox.js</c>, a global <c>Payviox</c> class) and what a
/// merchant's page needs to call this service from the browser: CORS on the routes the SDK uses.
/// </summary>
public static class SdkEndpoints
{
    public const string CorsPolicy = "PayvioxSdk";

    private static readonly EmbeddedAsset Script = EmbeddedAsset.Load("PaySessions.Api.Sdk.payviox.js");

    /// <summary>The versioned name: the same bytes, cacheable for a year (a change is a new name).</summary>
    public static readonly string VersionedName = "payviox." + Script.Hash + ".js";

    public static IEndpointRouteBuilder MapSdk(this IEndpointRouteBuilder endpoints)
    {
        var sdk = endpoints.MapGroup("/sdk").ExcludeFromDescription();
        sdk.MapGet("/payviox.js", Serve).WithName("SdkScript");
        sdk.MapGet("/{name}", ServeVersioned).WithName("SdkScriptVersioned");
        return endpoints;
    }

    public static IServiceCollection AddSdkCors(this IServiceCollection services) =>
        services.AddCors(options => options.AddPolicy(CorsPolicy, policy => policy
            // Any shop's page may call with its own key: keys are sent as a header, never as a
            // cookie, so no origin gains a power it did not already hold (no credentials mode).
            .AllowAnyOrigin()
            .WithMethods(HttpMethods.Get, HttpMethods.Post)
            .WithHeaders("Authorization", "Content-Type", "Accept", IdempotencyKeyFilter.Header)
            .WithExposedHeaders(IdempotencyKeyFilter.ReplayedHeader)
            .SetPreflightMaxAge(TimeSpan.FromHours(1))));

    /// <summary>The routes a page calls through the SDK: create a session, list payment methods.</summary>
    public static bool IsSdkRoute(HttpContext http) =>
        http.Request.Path.Equals("/session", StringComparison.Ordinal)
        || http.Request.Path.Equals("/payments/methods", StringComparison.Ordinal);

    /// <summary>CORS for the SDK's routes only, answered before authentication (a preflight carries no key).</summary>
    public static WebApplication UseSdkCors(this WebApplication app)
    {
        app.UseWhen(IsSdkRoute, branch => branch.UseCors(CorsPolicy));
        return app;
    }

    // The stable address merchants copy into their pages: revalidated hourly with its ETag, so a
    // new version reaches every page within the hour and an unchanged one costs a 304.
    private static IResult Serve(HttpContext http) => Answer(http, "public, max-age=3600");

    private static IResult ServeVersioned([FromRoute(Name = "name")] string name, HttpContext http) =>
        string.Equals(name, VersionedName, StringComparison.Ordinal)
            ? Answer(http, "public, max-age=31536000, immutable")
            : TypedResults.NotFound();

    private static IResult Answer(HttpContext http, string cacheControl)
    {
        var headers = http.Response.Headers;
        headers.CacheControl = cacheControl;
        headers.ETag = Script.ETag;
        headers.XContentTypeOptions = "nosniff";
        // A script any page may load, also with crossorigin and integrity, also under COEP.
        headers.AccessControlAllowOrigin = "*";
        headers["Cross-Origin-Resource-Policy"] = "cross-origin";
        if (http.Request.Headers.IfNoneMatch.Any(tag => tag is not null && (tag == Script.ETag || tag == "W/" + Script.ETag || tag == "*")))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(Script.Bytes, "text/javascript; charset=utf-8");
    }
}
