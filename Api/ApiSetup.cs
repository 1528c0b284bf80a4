using System.Text.Json;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PaySessions.Api.Core;
using PaySessions.Api.HostedPage;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Api.OpenApi;
using PaySessions.Api.Sandbox;
using PaySessions.Api.Sdk;
using PaySessions.Api.Sessions;
using PaySessions.Api.Webhooks;
using PaySessions.Api.Xendit;
using PaySessions.Grains.Sessions.Xendit;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api;

/// <summary>Registers and maps the HTTP front door.</summary>
public static class ApiSetup
{
    public static IServiceCollection AddPaySessionsApi(this IServiceCollection services, IConfiguration configuration)
    {
        // MediatR 5.1.0 (the one MediatR that restores here) has no DI package: the mediator and
        // its ServiceFactory are registered here; handlers and the owner check by convention.
        services.AddScoped<ServiceFactory>(provider => provider.GetService!);
        services.AddScoped<IMediator, Mediator>();
        services.AddScoped<OwnedSessionAccess>();
        services.AddSingleton<SessionCreator>();
        services.TryAddSingleton(_ => new PaymentLinks(configuration[PaymentLinks.PublicBaseUrlKey]));
        services.AddOptions<XenditOptions>().BindConfiguration(XenditOptions.Section).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<XenditOptions>, XenditOptionsValidator>();
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(RequestLoggingBehavior<,>));
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(TransientRetryBehavior<,>));
        RequestConventions.Register(services, typeof(ApiSetup).Assembly);

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddOptions<FailedAuthenticationOptions>().BindConfiguration(FailedAuthenticationOptions.Section);
        services.AddSingleton<FailedAuthenticationLimiter>();
        services.AddSingleton<RecentlyValidKeys>();
        services.AddSingleton<ConfirmedKeyOwners>();

        // The hosted page's forms: tokens are issued and checked by its endpoints themselves.
        services.AddAntiforgery(FramedPageCookie.Configure);
        services.AddOptions<HostedPageOptions>().BindConfiguration(HostedPageOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSdkCors();
        services.AddPaySessionsApiDescription();

        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.DictionaryKeyPolicy = null;
            // Numbers are written as numbers (amounts are integers): said so in the API description
            // too, which with the web default would also allow them as strings.
            options.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });

        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ApiOptions>, ApiOptionsValidator>();
        var apiOptions = new ApiOptions();
        configuration.GetSection(ApiOptions.Section).Bind(apiOptions);
        // Every entry is a network (an address is one of a single address). An entry that does
        // not parse is left out here: ApiOptionsValidator refuses the start with its name.
        var trusted = new List<System.Net.IPNetwork>();
        foreach (var proxy in apiOptions.TrustedProxies)
        {
            if (ApiOptions.TryParseProxy(proxy, out var network))
            {
                trusted.Add(network);
            }
        }

        services.Configure<ForwardedHeadersOptions>(options =>
        {
            // With no known proxy or network the middleware would believe every sender, so
            // without one it reads no header at all.
            options.ForwardedHeaders = trusted.Count > 0 ? ForwardedHeaders.XForwardedFor : ForwardedHeaders.None;
            options.ForwardLimit = null;
            // ASP.NET trusts loopback by default; we trust only what the operator lists.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // the obsolete list still holds the default loopback network
            options.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
            foreach (var network in trusted)
            {
                options.KnownIPNetworks.Add(network);
            }
        });
        return services;
    }

    /// <summary>Middleware first (size limits, forwarded headers, errors, auth), then the endpoints.</summary>
    public static WebApplication UsePaySessionsApi(this WebApplication app)
    {
        app.UseMiddleware<RequestLimits>();
        app.UseForwardedHeaders();
        app.UseSdkCors();
        app.UseExceptionHandler();
        app.UseStatusCodePages(context => RequestLimits.WriteEmptyError(context.HttpContext));
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapPaySessionsApi();
        return app;
    }

    public static IEndpointRouteBuilder MapPaySessionsApi(this IEndpointRouteBuilder endpoints)
    {
        // Every described route hangs off this group, so each gets the shared answers in its own
        // error shape (ApiResponses.AddSharedResponses); a route mapped beside it is undocumented.
        // A route's own answers are its handler's return type (typed results), nothing by hand.
        var api = endpoints.MapGroup("").AddSharedResponses();

        // Every merchant POST honours Idempotency-Key (WithIdempotencyKeys, on its group or route).
        var sessions = api.MapGroup("/session").RequireAuthorization().WithErrorShape(ErrorShapes.Default).WithTags("Payviox sessions").WithIdempotencyKeys();
        sessions.MapPost("", CreateSessionEndpoint.Handle).WithJsonBody<CreateSessionRequest>().WithName("CreateSession");
        // Listing is the secret key's only: a public key (in a browser) must not enumerate sessions.
        sessions.MapGet("", ListSessionsEndpoint.Handle).WithApiKeyForms(ApiKeyForms.BearerSecret).WithName("ListSessions");
        sessions.MapGet("/{id}", GetSessionEndpoint.Handle).WithName("GetSession");
        sessions.MapGet("/{id}/events", GetSessionEventsEndpoint.Handle).WithName("GetSessionEvents");
        sessions.MapGet("/{id}/payments", GetPaymentMethodsEndpoint.HandlePayviox).WithName("GetSessionPayments");
        sessions.MapGet("/{id}/payment-methods", GetPaymentMethodsEndpoint.Handle).WithName("GetPaymentMethods");

        // Payviox's method picker: the business's methods, not one session's.
        api.MapGet("/payments/methods", ListPaymentMethodsEndpoint.Handle)
            .RequireAuthorization().WithErrorShape(ErrorShapes.Default).WithName("ListPaymentMethods").WithTags("Payviox sessions");
        sessions.MapPost("/{id}/cancel", CancelSessionEndpoint.Handle).WithName("CancelSession");
        sessions.MapGet("/{id}/webhooks", GetSessionWebhooksEndpoint.Handle).WithName("GetSessionWebhooks");
        sessions.MapGet("/{id}/timeline", GetSessionTimelineEndpoint.Handle).WithName("GetSessionTimeline");
        sessions.MapPost("/{id}/pay", PaySessionEndpoint.Handle).WithJsonBody<PaySessionRequest>().WithName("PaySession");

        var payments = api.MapPaymentGroup().WithTags("Payviox payments");
        payments.MapGet("/{session_id}", GetPaymentEndpoint.Handle).WithName("GetPayment");

        var xendit = api.MapXenditSessionGroup().WithTags("Xendit sessions").WithIdempotencyKeys();
        xendit.MapPost("", CreateXenditSessionEndpoint.Handle).WithJsonBody<CreateXenditSessionRequest>().WithName("CreateXenditSession");

        api.MapWebhookDeliveryRoutes().WithTags("Webhook deliveries");

        // Providers authenticate by signature, not by API key.
        api.MapPost("/webhooks/{provider}", ReceiveProviderWebhookEndpoint.Handle).AcceptsJson<JsonElement>().WithName("ReceiveProviderWebhook")
            .WithTags("Provider callbacks");

        // Pages and scripts for browsers, not the merchant API: left out of the description.
        endpoints.MapHostedPage();
        endpoints.MapSdk();

        var sandbox = endpoints.MapGroup("/sandbox/checkout/{reference}").ExcludeFromDescription();
        sandbox.MapGet("", SandboxCheckoutEndpoints.Show).WithName("SandboxCheckout");
        sandbox.MapPost("/approve", SandboxCheckoutEndpoints.Approve).WithName("SandboxApprove");
        sandbox.MapPost("/decline", SandboxCheckoutEndpoints.Decline).WithName("SandboxDecline");
        endpoints.MapPaySessionsApiDescription();
        return endpoints;
    }
}
