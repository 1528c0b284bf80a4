using System.Net;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Failover;

/// <summary>The collection of the failover tests: each runs a cluster of its own under load, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FailoverCollection
{
    public const string Name = "Failover";
}

/// <summary>
/// Every node of a two-node cluster stopped gracefully in turn and replaced by a new one, while
/// creates and reads flow through whichever nodes are up (as a load balancer would send them):
/// no request is answered 500, any failure is 503 with <c>Retry-After</c>, and every create that
/// was answered 201 reads back afterwards, through the new nodes.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class RollingRestartTests
{
    [Fact]
    public async Task A_rolling_restart_of_every_node_under_load_loses_no_answered_request()
    {
        var first = await TestHost.StartAsync(settings: NodeDeathTests.Limits);
        var nodes = new List<TestHost> { first, await TestHost.StartAsync(first.Identity, NodeDeathTests.Limits, first.ConnectionString) };
        var up = new List<Uri>(nodes.Select(n => n.BaseAddress));
        var upLock = new object();
        try
        {
            using var http = NodeDeathTests.Client();
            var sessions = new List<string>();
            for (var i = 0; i < 8; i++)
            {
                sessions.Add(await NodeDeathTests.CreateOrThrow(http, nodes[i % 2].BaseAddress));
            }

            var turn = 0;
            var load = new NodeDeathTests.Load(http, first.BaseAddress, sessions, [])
            {
                Target = () =>
                {
                    lock (upLock)
                    {
                        return up[Interlocked.Increment(ref turn) % up.Count];
                    }
                },
            };
            var running = load.Run();
            for (var i = 0; i < nodes.Count; i++)
            {
                await Eventually.Read(() => Task.FromResult(load.Answers.Count), n => n >= (i + 1) * 40, TimeSpan.FromMinutes(1));
                var leaving = nodes[i];
                lock (upLock)
                {
                    up.Remove(leaving.BaseAddress);
                }

                // Graceful: Kestrel finishes what it took, then Orleans hands the node's grains over.
                await leaving.DisposeAsync();
                nodes[i] = await TestHost.StartAsync(first.Identity, NodeDeathTests.Limits, first.ConnectionString);
                lock (upLock)
                {
                    up.Add(nodes[i].BaseAddress);
                }
            }

            await Eventually.Read(() => Task.FromResult(load.Answers.Count), n => n >= nodes.Count * 40 + 40, TimeSpan.FromMinutes(1));
            load.Stop();
            await running;

            var answers = load.Answers.ToList();
            Assert.Empty(answers.Where(a => a.Status is { } s && !a.IsSuccess && !a.IsUnavailableWithRetryAfter).Select(a => a.Describe()));
            var acknowledged = answers.Where(a => a.Kind == "create" && a.Status == HttpStatusCode.Created).Select(a => a.SessionId!).ToList();
            Assert.NotEmpty(acknowledged);
            var unreadable = new List<string>();
            foreach (var id in acknowledged.Concat(sessions))
            {
                if (await NodeDeathTests.Status(http, nodes[^1].BaseAddress, id) != HttpStatusCode.OK)
                {
                    unreadable.Add(id);
                }
            }

            Assert.Empty(unreadable);
        }
        finally
        {
            foreach (var node in nodes)
            {
                await DisposeQuietly(node);
            }
        }
    }

    private static async Task DisposeQuietly(TestHost node)
    {
        try
        {
            await node.DisposeAsync();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped by the restart it was part of.
        }
    }
}
