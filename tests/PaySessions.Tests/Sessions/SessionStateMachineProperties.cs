using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Npgsql;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// Random sequences of everything that can happen to a session (payments, provider reports,
/// duplicates, cancels, time passing, expiry, reads) run against the real grain and database;
/// after every sequence the log, the snapshot and the projection must still tell one consistent,
/// lawful story. FsCheck generates the sequences and shrinks a failing one to its essence.
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class SessionStateMachineProperties(SessionClusterFixture fixture)
{
    private static readonly string[] Terminal = ["Completed", "Expired", "Canceled"];

    public abstract record Move;

    public sealed record Pay(int Method) : Move;

    public sealed record Report(int Attempt, bool Succeeded, int PaymentId) : Move;

    public sealed record ReportUnknown : Move;

    public sealed record Cancel : Move;

    public sealed record Advance(int Minutes) : Move;

    public sealed record Expire : Move;

    public sealed record Read : Move;

    [Fact]
    public void Any_sequence_of_commands_leaves_a_lawful_log_snapshot_and_projection()
    {
        var move = Gen.Frequency(
            [
            (4, Gen.Choose(0, 1).Select(m => (Move)new Pay(m))),
            (5, from attempt in Gen.Choose(0, 3)
                from succeeded in Gen.Elements(true, false)
                from paymentId in Gen.Choose(0, 2)
                select (Move)new Report(attempt, succeeded, paymentId)),
            (1, Gen.Constant((Move)new ReportUnknown())),
            (2, Gen.Constant((Move)new Cancel())),
            (2, Gen.Elements(1, 30, 59, 61, 121, 180).Select(m => (Move)new Advance(m))),
            (2, Gen.Constant((Move)new Expire())),
            (1, Gen.Constant((Move)new Read())),
            ]);
        var sequences = Arb.From(
            Gen.ListOf(move).Select(s => s.ToList()),
            list => Enumerable.Range(0, list.Count).Select(i => list.Where((_, j) => j != i).ToList()));

        var property = Prop.ForAll(sequences, steps => Task.Run(() => Holds(steps)).GetAwaiter().GetResult());

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60).WithEndSize(20), property);
    }

    private async Task<bool> Holds(List<Move> steps)
    {
        var id = TestSessions.NewId();
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);
        var created = await grain.Create(TestSessions.Command(SessionClusterFixture.Business) with { ClientIp = null });
        Assert.True(created.IsCreated);

        var references = new List<string>();
        SessionStatus? closedAs = null;
        foreach (var move in steps)
        {
            switch (move)
            {
                case Pay pay:
                    var result = await fixture.Grains.InitiatePayment(id, new InitiatePayment(pay.Method == 0 ? "sandbox_card" : "sandbox_wallet", null));
                    if (result.Outcome == InitiatePaymentOutcome.Initiated)
                    {
                        references.Add(result.RedirectUrl![(result.RedirectUrl!.LastIndexOf('/') + 1)..]);
                    }

                    Assert.Equal(closedAs is null, result.Outcome == InitiatePaymentOutcome.Initiated);
                    break;
                case Report report when references.Count > 0:
                    await grain.ReportPayment(new ProviderPaymentReport(
                        "sandbox", references[report.Attempt % references.Count], report.Succeeded, $"pay_{report.PaymentId}", null, 10000, "USD"));
                    break;
                case ReportUnknown:
                    Assert.Equal(PaymentReportOutcome.UnknownReference, await grain.ReportPayment(new ProviderPaymentReport("sandbox", "sbx_unknown", true, "pay_x", null, 10000, "USD")));
                    break;
                case Cancel:
                    Assert.Equal(closedAs is null && !(await IsDue(grain)), (await grain.Cancel("test")).Succeeded);
                    break;
                case Advance advance:
                    SessionClusterFixture.Clock.Advance(TimeSpan.FromMinutes(advance.Minutes));
                    break;
                case Expire:
                    await grain.ExpireIfDue();
                    break;
                case Read:
                    await grain.GetSnapshot();
                    break;
            }

            var status = (await grain.GetSnapshot())!.Status;
            if (closedAs is { } closed)
            {
                Assert.Equal(closed, status);
            }
            else if (status is SessionStatus.Completed or SessionStatus.Expired or SessionStatus.Canceled)
            {
                closedAs = status;
            }
        }

        await CheckLawful(grain, id);
        return true;
    }

    // Whether the session's time is already up (the next command will expire it first).
    private static async Task<bool> IsDue(IPaymentSessionGrain grain)
    {
        var snapshot = await grain.GetSnapshot();
        return snapshot!.Status == SessionStatus.Expired;
    }

    private async Task CheckLawful(IPaymentSessionGrain grain, string id)
    {
        var log = await grain.GetEvents();
        var snapshot = (await grain.GetSnapshot())!;
        var types = log.Select(e => e.Type).ToList();

        Assert.Equal(Enumerable.Range(1, log.Count), log.Select(e => e.Version));
        Assert.Equal("Created", types[0]);
        Assert.True(types.Count(Terminal.Contains) <= 1, string.Join(",", types));

        var end = types.FindIndex(Terminal.Contains);
        if (end >= 0)
        {
            Assert.DoesNotContain(types.Skip(end + 1), t => t is "PaymentInitiated" or "PaymentFailed" or "Completed" or "Created");
        }

        Assert.All(types.Select((t, i) => (t, i)).Where(p => p.t == "LatePaymentReceived"), p => Assert.True(end >= 0 && p.i > end));

        var expected = end >= 0 ? Enum.Parse<SessionStatus>(types[end]) : types.Contains("PaymentInitiated") ? SessionStatus.PaymentInitiated : SessionStatus.Created;
        Assert.Equal(expected, snapshot.Status);
        Assert.Equal(types.Contains("LatePaymentReceived"), snapshot.RefundRequired);

        var data = log.Select(e => (e.Type, Data: JsonNode.Parse(e.Data)!)).ToList();
        var initiated = data.Where(e => e.Type == "PaymentInitiated").Select(e => e.Data["provider_reference"]!.GetValue<string>()).ToHashSet();
        Assert.All(data.Where(e => e.Type is "PaymentFailed" or "Completed" or "LatePaymentReceived"),
            e => Assert.Contains(e.Data["provider_reference"]!.GetValue<string>(), initiated));
        var paid = data.Where(e => e.Type is "Completed" or "LatePaymentReceived").Select(e => e.Data["provider_payment_id"]!.GetValue<string>()).ToList();
        Assert.Equal(paid.Count, paid.Distinct().Count());

        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var command = db.CreateCommand("SELECT status, version FROM sessions WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(snapshot.Status.ToName(), reader.GetString(0));
        Assert.Equal(log.Count, reader.GetInt32(1));
    }
}
