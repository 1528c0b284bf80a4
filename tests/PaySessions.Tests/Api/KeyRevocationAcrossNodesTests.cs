using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// Each node's front door reuses what a key's grain answered for up to a second
/// (<see cref="IApiKeyGrain.ConfirmationFreshness"/>), so a busy key costs no grain call per
/// request. A revoke must still be final when it returns, on every node: the grain's revoke
/// waits out that second.
/// </summary>
public sealed class KeyRevocationAcrossNodesTests
{
    [Fact]
    public async Task Once_a_revoke_returns_no_node_of_the_cluster_takes_the_key_while_both_were_serving_it()
    {
        var identity = ClusterIdentity.New();
        await using var first = await TestHost.StartAsync(identity);
        await using var second = await TestHost.StartAsync(identity);

        var businessId = TestSessions.NewBusiness();
        var business = first.Grains.GetGrain<IBusinessGrain>(businessId);
        await business.Register("Revoked across nodes");
        var keys = await business.IssueKeys(ApiKeyMode.Test);

        // Both front doors serve the key without pause, so each holds a fresh confirmation when
        // the revoke comes. An authenticated read of an unknown session is 404; a refused key, 401.
        var answers = new ConcurrentBag<(long StartedAt, HttpStatusCode Status)>();
        using var stop = new CancellationTokenSource();
        var readers = new[] { first, second }.Select(host => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                answers.Add((startedAt, await Read(host, keys.SecretKey)));
            }
        })).ToArray();

        await Eventually.Read(
            () => Task.FromResult(answers.Count(a => a.Status == HttpStatusCode.NotFound)),
            served => served >= 20,
            TimeSpan.FromSeconds(30));
        Assert.True(await business.RevokeKey(ApiKeys.Hash(keys.SecretKey)));
        var revokedAt = System.Diagnostics.Stopwatch.GetTimestamp();

        // Both nodes go on asking for a while after the revoke returned.
        await Eventually.Read(
            () => Task.FromResult(answers.Count(a => a.StartedAt > revokedAt)),
            after => after >= 20,
            TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        Assert.Contains(answers, a => a.StartedAt < revokedAt && a.Status == HttpStatusCode.NotFound);
        var afterRevoke = answers.Where(a => a.StartedAt > revokedAt).Select(a => a.Status).ToList();
        Assert.All(afterRevoke, status => Assert.True(Refused(status), $"{status} after the revoke returned"));
        Assert.True(Refused(await Read(first, keys.SecretKey)));
        Assert.True(Refused(await Read(second, keys.SecretKey)));
    }

    // 401; or 429 once the address has sent enough refused keys to be throttled (FailedAuthenticationLimiter).
    private static bool Refused(HttpStatusCode status) => status is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests;

    private static async Task<HttpStatusCode> Read(TestHost host, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/session/none", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await host.Http.SendAsync(request);
        return response.StatusCode;
    }
}
