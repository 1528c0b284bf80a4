using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Cluster;

/// <summary>
/// What must hold after a node died under <see cref="MixedLoad"/>: each a wait-for condition
/// (a cluster settles, sweeps and retries in its own time), then an assertion that names what is wrong.
/// </summary>
public static class AcknowledgedOutcomes
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The checks both node-death tests run once the load has ended, in this order, each logged
    /// as a step: the held sessions paid, every acknowledged outcome stored, streams whole, late
    /// payments refunded and webhooks delivered (both settle before any read compares whole logs).
    /// </summary>
    public static async Task SettleAndHold(SiloCluster cluster, MixedLoad load, WebhookReceiver receiver, string businessId, Steps steps)
    {
        await load.PayHeldSessions();
        steps.Step("PayHeldSessions");
        await HoldInTheDatabase(cluster, load);
        steps.Step("HoldInTheDatabase");
        await EventStreamsAreWhole(cluster.Database);
        steps.Step("EventStreamsAreWhole");
        await LatePaymentsRefunded(cluster, load);
        steps.Step("LatePaymentsRefunded");
        await WebhooksDelivered(cluster, receiver, businessId);
        steps.Step("WebhooksDelivered");
    }

    /// <summary>
    /// Every session the ledger holds is stored and ends as its acknowledged requests decided
    /// (others as the ones without an answer may have decided, or expired); every acknowledged
    /// payment is in its session's stream.
    /// </summary>
    public static async Task HoldInTheDatabase(SiloCluster cluster, MixedLoad load)
    {
        var ledger = load.Sessions;
        var statuses = await Eventually.Read(
            () => Statuses(cluster.Database),
            stored => ledger.All(s => stored.TryGetValue(s.Id, out var status) && s.Allows(status)),
            Patience,
            TimeSpan.FromMilliseconds(500));
        var wrong = ledger
            .Where(s => !statuses.TryGetValue(s.Id, out var status) || !s.Allows(status))
            .Select(s => $"{s.Id} ({s.Dialect}): stored {statuses.GetValueOrDefault(s.Id) ?? "nothing"}, acknowledged {s.Acknowledged ?? "-"}, "
                + $"unanswered [{string.Join(",", s.Attempted)}], paid {s.Paid}, held {s.Held}")
            .ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {ledger.Count} sessions differ from what was acknowledged:\n{string.Join("\n", wrong.Take(20))}\n{load.Summary}\n{cluster.Describe()}");

        var initiated = await StreamsWith(cluster.Database, "PaymentInitiated");
        var unpaid = ledger.Where(s => s.Paid && !initiated.Contains(s.Id)).Select(s => s.Id).ToList();
        Assert.True(unpaid.Count == 0, $"Acknowledged payments missing from their streams: {string.Join(", ", unpaid)}");
    }

    /// <summary>No event lost or written twice: each stream starts with one Created at version 1, its versions have no gap, and it ends at most once.</summary>
    public static async Task EventStreamsAreWhole(NpgsqlDataSource database)
    {
        await using var command = database.CreateCommand("""
            SELECT stream_id, count(*), min(version), max(version),
                   count(*) FILTER (WHERE type = 'Created'),
                   count(*) FILTER (WHERE type IN ('Completed', 'Expired', 'Canceled'))
            FROM session_events GROUP BY stream_id
            """);
        var broken = new List<string>();
        var streams = 0;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            streams++;
            var (count, first, last, created, ended) = (reader.GetInt64(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt64(4), reader.GetInt64(5));
            if (first != 1 || last != count || created != 1 || ended > 1)
            {
                broken.Add($"{reader.GetString(0)}: {count} events, versions {first}..{last}, {created} Created, {ended} terminal");
            }
        }

        Assert.True(streams > 0, "No session events at all.");
        Assert.True(broken.Count == 0, $"Broken event streams:\n{string.Join("\n", broken)}");
    }

    /// <summary>
    /// Every session reads back the same through each of <paramref name="nodes"/>: its event log and
    /// its view in its own dialect, byte for byte, and the log as long as the stored stream.
    /// </summary>
    public static async Task ReadBackIdentically(MixedLoad load, IReadOnlyList<SiloProcess> nodes, NpgsqlDataSource database)
    {
        var versions = await Versions(database);
        // One patience for all the reads: a node that answers none must not make each wait in turn.
        var giveUpAt = DateTime.UtcNow + Patience;
        using var parallel = new SemaphoreSlim(8);
        var differences = await Task.WhenAll(load.Sessions.Select(async session =>
        {
            await parallel.WaitAsync();
            try
            {
                var paths = session.Dialect == "xendit"
                    ? new[] { ($"/session/{session.Id}/events", false), ($"/sessions/{session.Id}", true) }
                    : [($"/session/{session.Id}/events", false), ($"/session/{session.Id}", false)];
                foreach (var (path, basic) in paths)
                {
                    var bodies = new List<string>();
                    foreach (var node in nodes)
                    {
                        bodies.Add(await Read(load, node, path, basic, giveUpAt));
                    }

                    for (var i = 1; i < bodies.Count; i++)
                    {
                        if (!string.Equals(bodies[0], bodies[i], StringComparison.Ordinal))
                        {
                            var at = Enumerable.Range(0, Math.Min(bodies[0].Length, bodies[i].Length)).FirstOrDefault(c => bodies[0][c] != bodies[i][c]);
                            var from = Math.Max(0, at - 60);
                            return $"{path} differs between {nodes[0].Name} and {nodes[i].Name} at {at}:\n  …{bodies[0][from..Math.Min(bodies[0].Length, at + 60)]}\n  …{bodies[i][from..Math.Min(bodies[i].Length, at + 60)]}";
                        }
                    }

                    if (path.EndsWith("/events", StringComparison.Ordinal))
                    {
                        var body = bodies[0];
                        var events = JsonNode.Parse(body)?["events"]?.AsArray().Count;
                        if (events != versions.GetValueOrDefault(session.Id))
                        {
                            return $"{path} shows {events} events, the stream holds {versions.GetValueOrDefault(session.Id)}";
                        }
                    }
                }

                return null;
            }
            finally
            {
                parallel.Release();
            }
        }));
        var found = differences.Where(d => d is not null).ToList();
        Assert.True(found.Count == 0, string.Join("\n", found.Take(10)));
    }

    /// <summary>
    /// Every merchant webhook queued for the business is delivered, and the receiver got each event
    /// id at least once with a 200 (retries and redeliveries may repeat one; none may be missing).
    /// </summary>
    public static async Task WebhooksDelivered(SiloCluster cluster, WebhookReceiver receiver, string businessId)
    {
        var undelivered = await Eventually.Read(
            () => Undelivered(cluster.Database, businessId, receiver),
            missing => missing.Count == 0,
            Patience,
            TimeSpan.FromMilliseconds(500));
        Assert.True(undelivered.Count == 0, $"{undelivered.Count} webhooks not delivered:\n{string.Join("\n", undelivered.Take(20))}\n{cluster.Describe()}");
    }

    /// <summary>Every late payment acknowledged after an acknowledged cancel is refunded (the late-refund worker's outbox drained).</summary>
    public static async Task LatePaymentsRefunded(SiloCluster cluster, MixedLoad load)
    {
        var late = load.Sessions.Where(s => s.LatePaid).Select(s => s.Id).ToList();
        var refunded = await Eventually.Read(
            () => StreamsWith(cluster.Database, "LatePaymentRefunded"),
            done => late.All(done.Contains),
            Patience,
            TimeSpan.FromMilliseconds(500));
        var missing = late.Where(id => !refunded.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {late.Count} late payments not refunded: {string.Join(", ", missing)}\n{cluster.Describe()}");
    }

    /// <summary><c>dotnet PaySessions.Silo.dll check</c> finds the database consistent (exit code 0).</summary>
    public static async Task CheckPasses(SiloCluster cluster)
    {
        var (code, output) = await cluster.CheckAsync();
        Assert.True(code == 0, $"check exited with {code}:\n{output}");
        Assert.Contains("Consistent", output, StringComparison.Ordinal);
    }

    private static async Task<string> Read(MixedLoad load, SiloProcess node, string path, bool basic, DateTime giveUpAt)
    {
        // The cluster may still be settling (a dead silo's grains, its directory entries): a read
        // is retried until it is answered; what it answers then must agree.
        var answer = await Eventually.Read(
            async () =>
            {
                using var response = await load.Send(node, HttpMethod.Get, path, basic: basic);
                return response?.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : null;
            },
            body => body is not null,
            giveUpAt - DateTime.UtcNow,
            TimeSpan.FromMilliseconds(250));
        return answer ?? $"(no 200 for {path})";
    }

    private static async Task<List<string>> Undelivered(NpgsqlDataSource database, string businessId, WebhookReceiver receiver)
    {
        var received = receiver.Deliveries.Where(d => d.AnsweredWith == 200).Select(d => d.WebhookId).ToHashSet(StringComparer.Ordinal);
        await using var command = database.CreateCommand("""
            SELECT d.event_id, d.session_id, d.type, d.status, d.attempts,
                   (SELECT coalesce(a.status_code::text, '') || ' ' || coalesce(a.error, '') FROM webhook_attempts a
                    WHERE a.event_id = d.event_id ORDER BY a.attempt DESC LIMIT 1)
            FROM webhook_deliveries d WHERE d.business_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
        var missing = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var webhookId = "evt_" + reader.GetGuid(0).ToString("N");
            if (reader.GetString(3) != "delivered" || !received.Contains(webhookId))
            {
                missing.Add($"{webhookId} {reader.GetString(2)} of {reader.GetString(1)}: {reader.GetString(3)} after {reader.GetInt32(4)} attempts (last: {(reader.IsDBNull(5) ? "none" : reader.GetString(5))}), received: {received.Contains(webhookId)}");
            }
        }

        return missing;
    }

    private static async Task<Dictionary<string, string>> Statuses(NpgsqlDataSource database)
    {
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = database.CreateCommand("SELECT session_id, status FROM sessions");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            statuses[reader.GetString(0)] = reader.GetString(1);
        }

        return statuses;
    }

    private static async Task<Dictionary<string, int>> Versions(NpgsqlDataSource database)
    {
        var versions = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var command = database.CreateCommand("SELECT stream_id, max(version) FROM session_events GROUP BY stream_id");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            versions[reader.GetString(0)] = reader.GetInt32(1);
        }

        return versions;
    }

    private static async Task<HashSet<string>> StreamsWith(NpgsqlDataSource database, string type)
    {
        var streams = new HashSet<string>(StringComparer.Ordinal);
        await using var command = database.CreateCommand("SELECT DISTINCT stream_id FROM session_events WHERE type = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = type });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            streams.Add(reader.GetString(0));
        }

        return streams;
    }
}
