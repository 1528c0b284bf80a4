using System.Reflection;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using PaySessions.Api.Sessions;

namespace PaySessions.Api;

/// <summary>
/// Handlers and the owner check are registered by looking at the types, not from a list: every
/// request handler of the assembly is registered, every request that implements
/// <see cref="IOwnedSessionRequest{TResponse}"/> gets <see cref="OwnedSessionBehavior{TRequest, TResponse}"/>, and a
/// request that names a session without implementing it stops the start-up, so a new session
/// route cannot ship without the check.
/// </summary>
public static class RequestConventions
{
    public static void Register(IServiceCollection services, Assembly assembly)
    {
        Check(assembly);
        var types = ConcreteClasses(assembly);
        foreach (var handler in types)
        {
            foreach (var contract in HandlerContracts(handler))
            {
                services.AddTransient(contract, handler);
            }
        }

        // Closed registrations: the container does not filter open generics by their constraints.
        foreach (var request in types)
        {
            if (OwnedSessionResponse(request) is { } response)
            {
                services.AddTransient(
                    typeof(IPipelineBehavior<,>).MakeGenericType(request, response),
                    typeof(OwnedSessionBehavior<,>).MakeGenericType(request, response));
            }
        }
    }

    /// <summary>The answer type of <paramref name="request"/> as an owned-session request, or null when it is none.</summary>
    public static Type? OwnedSessionResponse(Type request) =>
        request.GetInterfaces()
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IOwnedSessionRequest<>))
            ?.GetGenericArguments()[0];

    /// <summary>
    /// Throws when a request type of <paramref name="assembly"/> carries a session id (a property
    /// named <c>SessionId</c> or ending in it) but not <see cref="IOwnedSessionRequest{TResponse}"/>, or when
    /// a request has no handler.
    /// </summary>
    public static void Check(Assembly assembly)
    {
        var types = ConcreteClasses(assembly);
        var handled = types.SelectMany(HandlerContracts).Select(i => i.GetGenericArguments()[0]).ToHashSet();
        var problems = new List<string>();
        foreach (var request in types.Where(IsRequest))
        {
            if ((NamesASession(request) || typeof(IOwnedSessionRequest).IsAssignableFrom(request)) && OwnedSessionResponse(request) is null)
            {
                problems.Add($"{request.FullName} carries a session id but does not implement {nameof(IOwnedSessionRequest)}<TResponse>, so nothing would check that the caller owns the session");
            }

            if (!handled.Contains(request))
            {
                problems.Add($"{request.FullName} has no handler");
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems) + ".");
        }
    }

    private static List<Type> ConcreteClasses(Assembly assembly) =>
        [.. assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false, IsGenericTypeDefinition: false })];

    private static IEnumerable<Type> HandlerContracts(Type type) =>
        type.GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRequestHandler<,>));

    private static bool IsRequest(Type type) =>
        type.GetInterfaces().Any(i => i == typeof(MediatR.IRequest) || (i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRequest<>)));

    private static bool NamesASession(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Any(p => p.Name.EndsWith("SessionId", StringComparison.OrdinalIgnoreCase));
}
