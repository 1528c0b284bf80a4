using PaySessions.Grains.Webhooks;
using PaySessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PaySessions.Tests.Cluster;

/// <summary>
/// A single node (a real process) SIGKILLed under a merchant's mixed load and started again on the
/// same database and ports: every acknowledged session is there as acknowledged, the consistency
/// check passes, and the webhooks, expiries and late refunds it had pending carry on.
/// </summary>
public sealed class NodeCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_single_node_killed_under_mixed_load_restarts_with_every_acknowledged_session_and_its_pending_work()
    {
        var steps = new Steps(output);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var cluster = await SiloCluster.StartAsync(1, MixedLoad.NodeSettings);
        steps.Step("node ready");
        var business = await cluster.CreateBusinessAsync(receiver.Url, PayvioxWebhookEvents.Sent, ["sandbox_card"]);
        steps.Step("business created");
        var load = new MixedLoad(cluster, business);
        await load.KillUnderLoadAsync(
            workers: 6,
            flowsBefore: 20,
            kill: () =>
            {
                // Webhook attempts fail from now on: retries are pending when the node dies, and the
                // failures left over are answered after the restart, before the retries get through.
                receiver.FailNext(30);
                cluster.Kill(0);
                return Task.CompletedTask;
            },
            flowsAfter: 0,
            steps);

        var restarted = await cluster.RestartAsync(0);
        steps.Step("restarted and ready");
        await AcknowledgedOutcomes.SettleAndHold(cluster, load, receiver, business.BusinessId, steps);
        await AcknowledgedOutcomes.ReadBackIdentically(load, [restarted], cluster.Database);
        steps.Step("ReadBackIdentically");
        await AcknowledgedOutcomes.CheckPasses(cluster);
        steps.Step("CheckPasses");
        output.WriteLine($"500s during the load: {load.ServerErrors.Count}");
    }
}
