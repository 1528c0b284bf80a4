using System.Net.Sockets;
using MediatR;
using Microsoft.AspNetCore.Http;

namespace PaySessions.Api.Http;

/// <summary>
/// Failures that say "not now" rather than "wrong": PostgreSQL restarting or unreachable, a silo
/// that just died, a grain call that timed out. They are answered 503 with <c>Retry-After</c>,
/// never 500, and requests that are safe to repeat are retried a few times first.
/// </summary>
public static class TransientFailures
{
    /// <summary>Seconds a client is asked to wait after a 503.</summary>
    public const int RetryAfterSeconds = 1;

    /// <summary>Tries in all, for a request that is safe to repeat.</summary>
    public const int MaxAttempts = 3;

    // Matched by name: the API does not reference Npgsql or Orleans' internal networking types,
    // and an exception that crossed a grain call keeps its type but not always its properties.
    // Orleans' are matched by simple name within its namespaces, which move between versions.
    private static readonly HashSet<string> TransientOrleansNames = new(StringComparer.Ordinal)
    {
        "OrleansMessageRejectionException",
        "SiloUnavailableException",
        "GatewayTooBusyException",
        "ConnectionFailedException",
        "SocketConnectionException",
        "ClientNotAvailableException",

        // A grain-storage write refused because the stored version moved on (a write of its own
        // that committed but lost its answer, or a second activation during a failover): the
        // grain has deactivated (StoredStateGuard) and the next try reads the stored state.
        "InconsistentStateException",
    };

    // PostgreSQL error classes that pass: 08 connection exception, 53 insufficient resources,
    // 57P01-57P03 shutdown and cannot-connect-now, 40001/40P01 serialization and deadlock.
    private static readonly string[] TransientSqlStates = ["08", "53", "57P01", "57P02", "57P03", "40001", "40P01"];

    /// <summary>True when <paramref name="exception"/>, or anything it wraps, is a transient failure.</summary>
    public static bool IsTransient(Exception exception) => IsTransient(exception, depth: 0);

    private static bool IsTransient(Exception? exception, int depth)
    {
        if (exception is null || depth > 16)
        {
            return false;
        }

        if (exception is TimeoutException or SocketException || IsTransientByName(exception))
        {
            return true;
        }

        if (exception is AggregateException aggregate)
        {
            return aggregate.InnerExceptions.Any(inner => IsTransient(inner, depth + 1));
        }

        return IsTransient(exception.InnerException, depth + 1);
    }

    private static bool IsTransientByName(Exception exception)
    {
        var type = exception.GetType();
        if (type.Namespace?.StartsWith("Orleans", StringComparison.Ordinal) == true)
        {
            return TransientOrleansNames.Contains(type.Name);
        }

        return type.FullName switch
        {
            // Its message starts with the SQLSTATE ("57P01: terminating connection due to
            // administrator command"), which survives a grain call even where the SqlState field does not.
            "Npgsql.PostgresException" => TransientSqlStates.Any(state => exception.Message.StartsWith(state, StringComparison.Ordinal)),

            // A plain NpgsqlException is the client failing to reach or keep its connection
            // (refused, reset, timed out); errors the server reports are PostgresException.
            "Npgsql.NpgsqlException" => true,
            _ => false,
        };
    }

    /// <summary>
    /// True when <paramref name="exception"/> proves that the grain call never ran: Orleans
    /// rejected the message before any grain took it (it could not connect to the silo it was
    /// for, or a directory lookup on the way to it failed, or a silo refused it unprocessed).
    /// A <c>SiloUnavailableException</c> (a rejection too, but also what a call gets when the silo
    /// it had reached dies) or a timeout leaves it open whether the call ran, so neither counts.
    /// Only such a failure allows repeating a write that is not idempotent.
    /// </summary>
    public static bool WasNotDelivered(Exception exception)
    {
        var rejected = false;
        var depth = 0;
        for (var inner = exception; inner is not null && depth < 16; inner = inner.InnerException, depth++)
        {
            if (inner is TimeoutException || inner.GetType().Name == "SiloUnavailableException")
            {
                return false;
            }

            rejected |= inner.GetType().Name is "OrleansMessageRejectionException" or "ConnectionFailedException" or "SocketConnectionException" or "GatewayTooBusyException";
        }

        return rejected;
    }

    /// <summary>
    /// True when <paramref name="exception"/> says the silo a call was sent to died (Orleans throws
    /// <c>SiloUnavailableException</c> for the calls it had outstanding there once the membership
    /// declares it dead), and no timeout is involved: the call may or may not have run, and a new
    /// call for the same grain now reaches a survivor.
    /// </summary>
    public static bool WasCutOffByASiloDeath(Exception exception)
    {
        var lost = false;
        var depth = 0;
        for (var inner = exception; inner is not null && depth < 16; inner = inner.InnerException, depth++)
        {
            if (inner is TimeoutException)
            {
                return false;
            }

            lost |= inner.GetType().Name == "SiloUnavailableException";
        }

        return lost;
    }

    /// <summary>
    /// Runs <paramref name="action"/>, trying again (at most <see cref="MaxAttempts"/> in all, a
    /// short pause between) when it fails transiently. Only for work that is safe to repeat:
    /// reads, and steps before anything is written. A timeout is not tried again: the call already
    /// waited its whole deadline, and the client is better told 503 at once.
    /// </summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (Exception e) when (attempt < MaxAttempts && IsTransient(e) && !IsTimeout(e) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
            }
        }
    }

    private static bool IsTimeout(Exception exception)
    {
        for (Exception? inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>503 with <c>Retry-After</c>, in the shape of the route the request is on.</summary>
    public static Task Write(HttpContext context) => ErrorShapes.Write(context, RequestFailure.Unavailable);
}

/// <summary>A request that only reads, so it may be sent again after a transient failure.</summary>
public interface IRetrySafeRequest;

/// <summary>Retries <see cref="IRetrySafeRequest"/>s that fail transiently; others pass through untouched.</summary>
public sealed class TransientRetryBehavior<TRequest, TResponse> : IPipelineBehavior<TRequest, TResponse>
{
    public Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next) =>
        request is IRetrySafeRequest
            ? TransientFailures.RetryAsync(() => next(), cancellationToken)
            : next();
}
