using PaySessions.Grains.Webhooks;
using PaySessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PaySessions.Tests.Cluster;

/// <summary>
/// Three real nodes (processes) on one PostgreSQL under a merchant's mixed load through all of
/// them; the node holding the expiry sweep is SIGKILLed mid-load and the two survivors carry the
/// load on. What was acknowledged holds, the survivors serve every session alike, the dead node's
/// sweep, webhook retries and late refunds carry on elsewhere, and a node restarted on its ports
/// rejoins and serves. (Three covers two: with two nodes the one survivor takes everything over;
/// with three the dead node's work is shared, and the membership must agree without it.)
/// </summary>
public sealed class NodeKillTests(ITestOutputHelper output)
{
    private const int Nodes = 3;

    [Fact]
    public async Task A_node_killed_under_mixed_load_loses_nothing_acknowledged_and_its_work_carries_on_on_the_survivors()
    {
        var steps = new Steps(output);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var cluster = await SiloCluster.StartAsync(Nodes, MixedLoad.NodeSettings);
        steps.Step("cluster ready");
        var business = await cluster.CreateBusinessAsync(receiver.Url, PayvioxWebhookEvents.Sent, ["sandbox_card"]);
        steps.Step("business created");
        var load = new MixedLoad(cluster, business);
        var victim = Nodes - 1;
        await load.KillUnderLoadAsync(
            workers: 8,
            flowsBefore: 15,
            kill: async () =>
            {
                // The node to kill is the one running the expiry sweep (any node when none is, yet).
                var sweeper = await cluster.NodeHostingAsync("ExpirySweeperGrain");
                victim = sweeper ?? victim;
                output.WriteLine($"Killing node {victim} (expiry sweep: {(sweeper is null ? "not active" : "there")}).");
                // Webhook attempts fail for a while: retries are due, some claimed by the node that dies.
                receiver.FailNext(20);
                cluster.Kill(victim);
            },
            flowsAfter: 15,
            steps);

        await AcknowledgedOutcomes.SettleAndHold(cluster, load, receiver, business.BusinessId, steps);

        // The node comes back on its ports and serves; then every session reads back the same
        // through each node, the survivors (where the dead node's sessions now live) and it.
        var restarted = await cluster.RestartAsync(victim);
        steps.Step("restarted and ready");
        await load.CompleteOneThrough(restarted);
        steps.Step("CompleteOneThrough");
        await AcknowledgedOutcomes.HoldInTheDatabase(cluster, load);
        await AcknowledgedOutcomes.WebhooksDelivered(cluster, receiver, business.BusinessId);
        steps.Step("WebhooksDelivered");
        await AcknowledgedOutcomes.ReadBackIdentically(load, cluster.Running, cluster.Database);
        steps.Step("ReadBackIdentically");
        await AcknowledgedOutcomes.CheckPasses(cluster);
        steps.Step("CheckPasses");

        // Requests that failed while the node died are allowed; 500s among them are reported, not
        // asserted (answering 503 with Retry-After instead is the failover work of issue 14 item 4).
        output.WriteLine($"500s during the load: {load.ServerErrors.Count}");
        foreach (var error in load.ServerErrors.Take(20))
        {
            output.WriteLine(error);
        }
    }
}
