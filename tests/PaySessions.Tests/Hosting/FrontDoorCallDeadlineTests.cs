using System.Diagnostics;
using System.Reflection;
using Orleans.Serialization.Invocation;
using PaySessions.Silo.Hosting;

namespace PaySessions.Tests.Hosting;

/// <summary>
/// The front door's deadline on grain calls (<see cref="FrontDoorCallDeadline"/>) is shared by the
/// calls of a quarter second: each call still gets at least the whole timeout, a call that never
/// answers ends in a <see cref="TimeoutException"/>, and answers and failures pass through as they are.
/// </summary>
public sealed class FrontDoorCallDeadlineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Calls_that_never_answer_each_time_out_no_sooner_than_the_timeout_whenever_they_started()
    {
        var deadline = new FrontDoorCallDeadline(Timeout);

        // Calls started across several slots, some sharing one.
        var calls = new List<Task<TimeSpan>>();
        for (var i = 0; i < 12; i++)
        {
            calls.Add(TimeToFailure(deadline, new CallContext(new TaskCompletionSource().Task)));
            await Task.Delay(TimeSpan.FromMilliseconds(90));
        }

        var waited = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(waited, elapsed => Assert.True(elapsed >= Timeout, $"timed out after {elapsed.TotalMilliseconds:0} ms"));
    }

    [Fact]
    public async Task An_answer_or_a_failure_passes_through_and_calls_between_grains_are_left_alone()
    {
        var deadline = new FrontDoorCallDeadline(Timeout);

        var later = new TaskCompletionSource();
        var answering = deadline.Invoke(new CallContext(later.Task));
        later.SetResult();
        await answering;
        await deadline.Invoke(new CallContext(Task.CompletedTask));

        var refused = new InvalidOperationException("refused by the grain");
        var failing = new TaskCompletionSource();
        var failed = deadline.Invoke(new CallContext(failing.Task));
        failing.SetException(refused);
        Assert.Same(refused, await Assert.ThrowsAsync<InvalidOperationException>(() => failed));

        // From inside a grain the call is Orleans' own to time out: the filter adds nothing.
        var fromGrain = new TaskCompletionSource().Task;
        Assert.Same(fromGrain, deadline.Invoke(new CallContext(fromGrain, fromGrain: true)));
    }

    private static async Task<TimeSpan> TimeToFailure(FrontDoorCallDeadline deadline, CallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var failure = await Assert.ThrowsAsync<TimeoutException>(() => deadline.Invoke(context));
        Assert.Contains("did not answer within 1 s", failure.Message, StringComparison.Ordinal);
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>A grain call whose answer is <paramref name="call"/>, made from the front door or (<paramref name="fromGrain"/>) from a grain.</summary>
    private sealed class CallContext(Task call, bool fromGrain = false) : IOutgoingGrainCallContext
    {
        public IGrainContext? SourceContext => fromGrain ? new FakeGrainContext() : null;

        public IInvokable Request => throw new NotSupportedException();

        public object Grain => throw new NotSupportedException();

        public GrainId? SourceId => null;

        public GrainId TargetId => default;

        public GrainInterfaceType InterfaceType => default;

        public string InterfaceName => "ITestGrain";

        public string MethodName => "Call";

        public MethodInfo InterfaceMethod => throw new NotSupportedException();

        public object? Result { get; set; }

        public Response? Response { get; set; }

        public Task Invoke() => call;
    }

    /// <summary>Only its presence matters: the filter tells a grain's call by a source context.</summary>
    private sealed class FakeGrainContext : IGrainContext
    {
        public GrainReference GrainReference => throw new NotSupportedException();

        public GrainId GrainId => default;

        public object? GrainInstance => null;

        public ActivationId ActivationId => default;

        public GrainAddress Address => throw new NotSupportedException();

        public IServiceProvider ActivationServices => throw new NotSupportedException();

        public IGrainLifecycle ObservableLifecycle => throw new NotSupportedException();

        public IWorkItemScheduler Scheduler => throw new NotSupportedException();

        public Task Deactivated => Task.CompletedTask;

        public void Activate(Dictionary<string, object>? requestContext, CancellationToken cancellationToken) => throw new NotSupportedException();

        public void Deactivate(DeactivationReason deactivationReason, CancellationToken cancellationToken) => throw new NotSupportedException();

        public bool Equals(IGrainContext? other) => ReferenceEquals(this, other);

        public object? GetComponent(Type componentType) => null;

        public object? GetTarget() => null;

        public void Migrate(Dictionary<string, object>? requestContext, CancellationToken cancellationToken) => throw new NotSupportedException();

        public void ReceiveMessage(object message) => throw new NotSupportedException();

        public void Rehydrate(IRehydrationContext context) => throw new NotSupportedException();

        public void SetComponent<TComponent>(TComponent? value) where TComponent : class => throw new NotSupportedException();
    }
}
