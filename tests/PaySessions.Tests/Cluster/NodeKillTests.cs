using PaySessions.Grains.Webhooks;
using PaySessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PaySessions.Tests.Cluster;

/// <summary>
/// Two real nodes (processes) on one PostgreSQL under a merchant's mixed load through both; the
/// node holding the expiry sweep is SIGKILLed mid-load. (Two, not three: on the 2-core CI machine a
/// third process's start-up and load made the test take minutes more; the harness takes any number.) What was acknowledged holds,
/// the survivors serve every session alike, the dead node's sweep, webhook retries and late
/// refunds carry on elsewhere, and a node restarted on its ports rejoins and serves.
/// </summary>
public sealed class NodeKillTests(ITestOutputHelper output)
{
    private const int Nodes = 2;

    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    // Where the time goes, for whoever tunes the test (nothing is asserted on it).
    private void Step(string what)
    {
        output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1} s  {what}");
    }

    [Fact]
    public async Task A_node_killed_under_mixed_load_loses_nothing_acknowledged_and_its_work_carries_on_on_the_survivors()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var cluster = await SiloCluster.StartAsync(Nodes, MixedLoad.NodeSettings);
        Step("cluster ready");
        var business = await cluster.CreateBusinessAsync(receiver.Url, PayvioxWebhookEvents.Sent, ["sandbox_card"]);
        Step("business created");
        var load = new MixedLoad(cluster, business);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(workers: 8, stop.Token);
                int victim;
        try
        {
            await load.WaitForSucceededFlows(15);
            Step("flows +15");
            // The node to kill is the one running the expiry sweep (any node when none is, yet).
            var sweeper = await cluster.NodeHostingAsync("ExpirySweeperGrain");
            victim = sweeper ?? Nodes - 1;
            output.WriteLine($"Killing node {victim} (expiry sweep: {(sweeper is null ? "not active" : "there")}).");
            // Webhook attempts fail for a while: retries are due, some claimed by the node that dies.
            receiver.FailNext(20);
            cluster.Kill(victim);
            Step("killed");
            await load.WaitForSucceededFlows(15);
            Step("flows +15");
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }

        output.WriteLine($"Load: {load.Sessions.Count} sessions. Answers: {load.Summary}");
        await load.PayHeldSessions();
        Step("PayHeldSessions");
        await AcknowledgedOutcomes.HoldInTheDatabase(cluster, load);
        Step("HoldInTheDatabase");
        await AcknowledgedOutcomes.EventStreamsAreWhole(cluster.Database);
        Step("EventStreamsAreWhole");
        // Late refunds and webhooks settle before the reads, which compare whole event logs.
        await AcknowledgedOutcomes.LatePaymentsRefunded(cluster, load);
        Step("LatePaymentsRefunded");
        await AcknowledgedOutcomes.WebhooksDelivered(cluster, receiver, business.BusinessId);
        Step("WebhooksDelivered");

        // The node comes back on its ports and serves; then every session reads back the same
        // through each node, the survivors (where the dead node's sessions now live) and it.
        var restarted = await cluster.RestartAsync(victim);
        Step("restarted and ready");
        await load.CompleteOneThrough(restarted);
        Step("CompleteOneThrough");
        await AcknowledgedOutcomes.HoldInTheDatabase(cluster, load);
        await AcknowledgedOutcomes.WebhooksDelivered(cluster, receiver, business.BusinessId);
        Step("WebhooksDelivered");
        await AcknowledgedOutcomes.ReadBackIdentically(load, cluster.Running, cluster.Database);
        Step("ReadBackIdentically");
        await AcknowledgedOutcomes.CheckPasses(cluster);
        Step("CheckPasses");

        // Requests that failed while the node died are allowed; 500s among them are reported, not
        // asserted (answering 503 with Retry-After instead is the failover work of issue 14 item 4).
        output.WriteLine($"500s during the load: {load.ServerErrors.Count}");
        foreach (var error in load.ServerErrors.Take(20))
        {
            output.WriteLine(error);
        }
    }
}
