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
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    // Where the time goes, for whoever tunes the test (nothing is asserted on it).
    private void Step(string what)
    {
        output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1} s  {what}");
    }

    [Fact]
    public async Task A_single_node_killed_under_mixed_load_restarts_with_every_acknowledged_session_and_its_pending_work()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var cluster = await SiloCluster.StartAsync(1, MixedLoad.NodeSettings);
        Step("node ready");
        var business = await cluster.CreateBusinessAsync(receiver.Url, PayvioxWebhookEvents.Sent, ["sandbox_card"]);
        Step("business created");
        var load = new MixedLoad(cluster, business);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(workers: 6, stop.Token);
                try
        {
            await load.WaitForSucceededFlows(20);
            Step("flows +20");
            // Webhook attempts fail from now on: retries are pending when the node dies, and the
            // failures left over are answered after the restart, before the retries get through.
            receiver.FailNext(30);
            cluster.Kill(0);
            Step("killed");
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }

        output.WriteLine($"Load: {load.Sessions.Count} sessions. Answers: {load.Summary}");
        var restarted = await cluster.RestartAsync(0);
        Step("restarted and ready");
        await load.PayHeldSessions();
        Step("PayHeldSessions");
        await AcknowledgedOutcomes.HoldInTheDatabase(cluster, load);
        Step("HoldInTheDatabase");
        await AcknowledgedOutcomes.EventStreamsAreWhole(cluster.Database);
        Step("EventStreamsAreWhole");
        await AcknowledgedOutcomes.LatePaymentsRefunded(cluster, load);
        Step("LatePaymentsRefunded");
        await AcknowledgedOutcomes.WebhooksDelivered(cluster, receiver, business.BusinessId);
        Step("WebhooksDelivered");
        await AcknowledgedOutcomes.ReadBackIdentically(load, [restarted], cluster.Database);
        Step("ReadBackIdentically");
        await AcknowledgedOutcomes.CheckPasses(cluster);
        Step("CheckPasses");
        output.WriteLine($"500s during the load: {load.ServerErrors.Count}");
    }
}
