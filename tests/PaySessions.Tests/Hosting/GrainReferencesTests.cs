using PaySessions.Api.Http;
using PaySessions.Grains.RateLimits;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>The front door's cached grain references reach the same grains as Orleans' own GetGrain.</summary>
[Collection(SessionClusterCollection.Name)]
public sealed class GrainReferencesTests(SessionClusterFixture fixture)
{
    [Fact]
    public async Task A_cached_reference_is_the_reference_GetGrain_gives_and_reaches_the_same_grain()
    {
        var ids = Enumerable.Range(0, 3).Select(_ => TestSessions.NewId()).ToArray();
        foreach (var id in ids)
        {
            var cached = fixture.Grains.Get<IPaymentSessionGrain>(id);
            var plain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);
            Assert.Equal(plain, cached);
            Assert.Equal(((GrainReference)plain).InterfaceType, ((GrainReference)cached).InterfaceType);
        }

        Assert.True((await fixture.Grains.Get<IPaymentSessionGrain>(ids[0]).Create(TestSessions.Command(SessionClusterFixture.Business, now: SessionClusterFixture.Clock.GetUtcNow()))).IsCreated);
        Assert.Equal(ids[0], (await fixture.Grains.GetGrain<IPaymentSessionGrain>(ids[0]).GetSnapshot())!.SessionId);

        // Another interface keeps its own grain type.
        var limiter = fixture.Grains.Get<IRateLimiterGrain>(RateLimitKeys.ForCustomer("biz_refs", Guid.NewGuid().ToString("N")));
        Assert.NotEqual(((GrainReference)limiter).GrainId.Type, ((GrainReference)fixture.Grains.Get<IPaymentSessionGrain>(ids[1])).GrainId.Type);
        Assert.True((await limiter.TryAcquire()).Allowed);
    }
}
