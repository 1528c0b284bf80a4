using System.Collections.Concurrent;
using System.Reflection;
using Npgsql;

namespace PaySessions.Grains.Storage;

/// <summary>
/// Writes to grain storage (<see cref="IPersistentState{TState}"/>) that ride out a broken
/// connection: a write that failed on a transient Npgsql error (a connection the restart of
/// PostgreSQL broke, a server not yet accepting) is tried again a few times, shortly. That is
/// safe: the write carries the version the grain read (its etag), so a try after one that did
/// commit is refused as a conflict rather than applied twice, and <see cref="StoredStateGuard"/>
/// then sends the grain to read afresh.
/// </summary>
public static class StoredState
{
    private const int Attempts = 3;

    public static async Task WriteStateRetryingAsync<T>(this IPersistentState<T> state)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await state.WriteStateAsync();
                return;
            }
            catch (Exception e) when (attempt < Attempts && IsTransientDatabaseFailure(e))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(150 * attempt));
            }
        }
    }

    internal static bool IsTransientDatabaseFailure(Exception exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is NpgsqlException { IsTransient: true })
            {
                return true;
            }

            if (inner is AggregateException aggregate)
            {
                return aggregate.InnerExceptions.Any(IsTransientDatabaseFailure);
            }
        }

        return false;
    }
}

/// <summary>
/// A grain that keeps state in grain storage is deactivated when one of its calls fails. Its
/// methods change <c>State</c> and then write it, so a failed write (PostgreSQL down, or the
/// stored version moved on: <c>InconsistentStateException</c>) would otherwise leave the
/// activation answering from a state that is not the stored one, or holding a stale etag that
/// fails every later write. The next call activates it again from what is stored. Domain
/// refusals are typed results, not exceptions, so only failures pay for the fresh read. Which
/// grains: those whose constructor takes an <see cref="IPersistentState{TState}"/>, found once
/// per grain class, so a new one is covered by construction.
/// </summary>
public sealed class StoredStateGuard : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<Type, bool> KeepsStoredState = new();

    // Grains without stored state (the session grain, on every request) pass straight through,
    // with no async wrapper of their own.
    public Task Invoke(IIncomingGrainCallContext context) =>
        context.Grain is { } grain && KeepsStoredState.GetOrAdd(grain.GetType(), TakesPersistentState) ? Guarded(context) : context.Invoke();

    private static async Task Guarded(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception)
        {
            context.TargetContext.Deactivate(
                new DeactivationReason(DeactivationReasonCode.ApplicationError, "A call failed; the state is read afresh from grain storage on the next call."),
                CancellationToken.None);
            throw;
        }
    }

    private static bool TakesPersistentState(Type grainType) =>
        grainType.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .SelectMany(c => c.GetParameters())
            .Any(p => p.ParameterType.IsGenericType && p.ParameterType.GetGenericTypeDefinition() == typeof(IPersistentState<>));
}
