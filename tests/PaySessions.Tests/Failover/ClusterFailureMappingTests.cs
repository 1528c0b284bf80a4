using System.Net;
using System.Reflection;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Networking.Shared;
using Orleans.Runtime.Messaging;
using PaySessions.Api.Http;
using PaySessions.Api.Xendit;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Failover;

/// <summary>
/// Every way a call can fail because a node of the cluster died or is unreachable, however it is
/// wrapped on its way up, is answered 503 with <c>Retry-After</c> in the shape of the route's
/// dialect, never 500; and only a failure that proves the call never ran lets a create be tried again.
/// </summary>
public sealed class ClusterFailureMappingTests(ClusterFailureMappingTests.Host host) : IClassFixture<ClusterFailureMappingTests.Host>
{
    private const string Xendit = "/failover-xendit";
    private const string Payviox = "/failover-payviox";

    /// <summary>What a grain call from the front door can end with when a silo dies or cannot be reached.</summary>
    private static readonly Func<Exception>[] ClusterFailures =
    [
        () => new Orleans.Runtime.SiloUnavailableException("The target silo became unavailable"),
        () => Uninitialized<Orleans.Runtime.OrleansMessageRejectionException>(),
        () => new ConnectionFailedException("Unable to connect to endpoint S127.0.0.1:11111:1"),
        () => new SocketConnectionException("Unable to connect to 127.0.0.1:11111. Error: ConnectionRefused"),
        () => new Orleans.Runtime.GatewayTooBusyException(),
        () => Uninitialized<Orleans.Runtime.ClientNotAvailableException>(),
        () => new TimeoutException("IPaymentSessionGrain.Get did not answer within 15 s."),
    ];

    // How a failure arrives: as it is, or wrapped by a task, a storage provider or a reflection call.
    private static readonly Func<Exception, Exception>[] Wrappers =
    [
        inner => new AggregateException(inner),
        inner => new Orleans.Runtime.OrleansException("Error from storage provider", inner),
        inner => new TargetInvocationException(inner),
    ];

    public sealed class Host : IAsyncLifetime
    {
        public ApiFixture Api { get; } = new();

        public async Task InitializeAsync() => Api.Use(await TestHost.StartAsync(map: app =>
        {
            MapThrow(app.MapGroup(Xendit).RequireAuthorization().WithErrorShape(XenditErrorShape.Instance));
            MapThrow(app.MapGroup(Payviox).RequireAuthorization().WithErrorShape(ErrorShapes.Default));
        }));

        public Task DisposeAsync() => Api.DisposeAsync();

        private static void MapThrow(RouteGroupBuilder group) => group.MapGet("/throw/{failure:int}/{wrapping}", Throw);

        private static IResult Throw(int failure, string wrapping) => throw Build(failure, wrapping);
    }

    private static Exception Build(int failure, string wrapping) =>
        wrapping.Where(char.IsDigit).Aggregate(ClusterFailures[failure](), (inner, w) => Wrappers[w - '0'](inner));

    private static T Uninitialized<T>() => (T)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(typeof(T));

    private static Arbitrary<(int Failure, string Wrapping)> Cases() => Arb.From(
        from failure in Gen.Choose(0, ClusterFailures.Length - 1)
        from depth in Gen.Choose(0, 3)
        from wrappers in Gen.ListOf(Gen.Choose(0, Wrappers.Length - 1), depth)
        select (failure, "w" + string.Concat(wrappers)));

    [Fact]
    public void Every_cluster_failure_however_wrapped_is_transient()
    {
        var property = Prop.ForAll(Cases(), c => TransientFailures.IsTransient(Build(c.Failure, c.Wrapping)));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Fact]
    public void Every_message_rejection_Orleans_defines_is_transient()
    {
        var rejections = typeof(Orleans.Runtime.OrleansMessageRejectionException).Assembly.GetTypes()
            .Concat(typeof(ConnectionFailedException).Assembly.GetTypes())
            .Where(t => typeof(Orleans.Runtime.OrleansMessageRejectionException).IsAssignableFrom(t) && !t.IsAbstract)
            .ToList();

        Assert.Contains(typeof(Orleans.Runtime.SiloUnavailableException), rejections);
        Assert.All(rejections, t => Assert.True(TransientFailures.IsTransient((Exception)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(t)), t.FullName));
    }

    [Fact]
    public void Every_cluster_failure_however_wrapped_is_503_with_Retry_After_in_the_dialect_shape_never_500()
    {
        var property = Prop.ForAll(Cases(), c =>
        {
            var xendit = host.Api.Get($"{Xendit}/throw/{c.Failure}/{c.Wrapping}", ApiFixture.DevSecretKey).GetAwaiter().GetResult();
            var payviox = host.Api.Get($"{Payviox}/throw/{c.Failure}/{c.Wrapping}", ApiFixture.DevSecretKey).GetAwaiter().GetResult();
            var xenditBody = JsonNode.Parse(xendit.Content.ReadAsStringAsync().GetAwaiter().GetResult())!;
            var payvioxBody = JsonNode.Parse(payviox.Content.ReadAsStringAsync().GetAwaiter().GetResult())!;

            return xendit.StatusCode == HttpStatusCode.ServiceUnavailable
                && xendit.Headers.RetryAfter?.Delta == TimeSpan.FromSeconds(TransientFailures.RetryAfterSeconds)
                && (string?)xenditBody["error_code"] == "SERVER_ERROR"
                && payviox.StatusCode == HttpStatusCode.ServiceUnavailable
                && payviox.Headers.RetryAfter?.Delta == TimeSpan.FromSeconds(TransientFailures.RetryAfterSeconds)
                && payvioxBody.ToJsonString() == """{"error":"Service unavailable"}""";
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), property);
    }

    public static TheoryData<Exception> NeverDelivered => new()
    {
        Uninitialized<Orleans.Runtime.OrleansMessageRejectionException>(),
        new Orleans.Runtime.OrleansException("placement", Uninitialized<Orleans.Runtime.OrleansMessageRejectionException>()),
        new ConnectionFailedException("Unable to connect to endpoint S127.0.0.1:11111:1"),
        new AggregateException(new SocketConnectionException("ConnectionRefused")),
    };

    public static TheoryData<Exception> MaybeDelivered => new()
    {
        new Orleans.Runtime.SiloUnavailableException("The target silo became unavailable for message"),
        new TimeoutException("did not answer within 15 s"),
        new Orleans.Runtime.OrleansException("wrapped", new Orleans.Runtime.SiloUnavailableException()),
        new Orleans.Runtime.OrleansException("a fault"),
        new InvalidOperationException("a bug"),
    };

    [Theory]
    [MemberData(nameof(NeverDelivered))]
    public void A_rejection_before_any_grain_took_the_call_proves_it_never_ran(Exception failure) =>
        Assert.True(TransientFailures.WasNotDelivered(failure), failure.ToString());

    [Theory]
    [MemberData(nameof(MaybeDelivered))]
    public void A_dead_target_silo_a_timeout_or_a_fault_leaves_open_whether_the_call_ran(Exception failure) =>
        Assert.False(TransientFailures.WasNotDelivered(failure), failure.ToString());
}
