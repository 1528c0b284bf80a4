using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Npgsql;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// Random sequences of everything that can happen to a session (payments, provider reports,
/// duplicates, cancels, time passing, expiry, reads) run against the real grain and database and,
/// side by side, against <see cref="Model"/>: a few lines of the documented lifecycle written here,
/// independent of the grain. After every step the grain's answer, status, deadline and log must be
/// the model's; at the end the projection must agree too. FsCheck shrinks a failing sequence.
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class SessionStateMachineProperties(SessionClusterFixture fixture)
{
    // SessionClusterFixture: PaySessions:Sessions:PendingWindow; Expiry is the default 24 h.
    private static readonly TimeSpan PendingWindow = TimeSpan.FromHours(2);
    private static readonly TimeSpan DefaultExpiry = TimeSpan.FromHours(24);

    public abstract record Move;

    public sealed record Pay(int Method) : Move;

    /// <summary><paramref name="Figures"/>: 0 what the attempt asked for, 1 another amount, 2 another currency.</summary>
    public sealed record Report(int Attempt, bool Succeeded, int PaymentId, int Figures) : Move;

    public sealed record ReportUnknown : Move;

    public sealed record Cancel : Move;

    public sealed record Advance(int Minutes) : Move;

    public sealed record Expire : Move;

    public sealed record Read : Move;

    public sealed record Scenario(int? ExpiresInMinutes, List<Move> Steps)
    {
        public override string ToString() => $"expires in {ExpiresInMinutes?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"} min: {string.Join(", ", Steps)}";
    }

    [Fact]
    public void Any_sequence_of_commands_does_what_the_documented_lifecycle_says()
    {
        var move = Gen.Frequency(
            [
            (4, Gen.Choose(0, 1).Select(m => (Move)new Pay(m))),
            (5, from attempt in Gen.Choose(0, 3)
                from succeeded in Gen.Elements(true, false)
                from paymentId in Gen.Choose(0, 2)
                from figures in Gen.Frequency((4, Gen.Constant(0)), (1, Gen.Choose(1, 2)))
                select (Move)new Report(attempt, succeeded, paymentId, figures)),
            (1, Gen.Constant((Move)new ReportUnknown())),
            (2, Gen.Constant((Move)new Cancel())),
            (2, Gen.Elements(1, 30, 59, 61, 121, 180).Select(m => (Move)new Advance(m))),
            (2, Gen.Constant((Move)new Expire())),
            (1, Gen.Constant((Move)new Read())),
            ]);
        var scenarios = Arb.From(
            from expiresIn in Gen.Elements<int?>(null, 45, 150)
            from steps in Gen.ListOf(move)
            select new Scenario(expiresIn, [.. steps]),
            scenario => Enumerable.Range(0, scenario.Steps.Count)
                .Select(i => scenario with { Steps = [.. scenario.Steps.Where((_, j) => j != i)] }));

        var property = Prop.ForAll(scenarios, scenario => Task.Run(() => Holds(scenario)).GetAwaiter().GetResult());

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60).WithEndSize(20), property);
    }

    private async Task<bool> Holds(Scenario scenario)
    {
        var clock = SessionClusterFixture.Clock;
        var id = TestSessions.NewId();
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);
        var expiresIn = scenario.ExpiresInMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : (TimeSpan?)null;
        var start = clock.GetUtcNow();
        var created = await grain.Create(TestSessions.Command(SessionClusterFixture.Business, expiresIn: expiresIn, now: start) with { ClientIp = null });
        Assert.True(created.IsCreated);
        var model = new Model(start + (expiresIn ?? DefaultExpiry));

        foreach (var move in scenario.Steps)
        {
            var now = clock.GetUtcNow();
            switch (move)
            {
                case Pay pay:
                    var result = await fixture.Grains.InitiatePayment(id, new InitiatePayment(pay.Method == 0 ? "sandbox_card" : "sandbox_wallet", null));
                    var reference = result.RedirectUrl is { } url ? url[(url.LastIndexOf('/') + 1)..] : null;
                    Assert.Equal(model.Pay(now, pay.Method, reference), result.Outcome);
                    break;
                case Report report when model.References.Count > 0:
                    var attempt = model.References[report.Attempt % model.References.Count];
                    var paymentId = $"pay_{report.PaymentId}";
                    var (amount, currency) = report.Figures switch { 1 => (9999L, "USD"), 2 => (10000L, "EUR"), _ => (10000L, "USD") };
                    var outcome = await grain.ReportPayment(new ProviderPaymentReport("sandbox", attempt, report.Succeeded, paymentId, null, amount, currency));
                    Assert.Equal(model.Report(now, attempt, report.Succeeded, paymentId, report.Figures == 0), outcome);
                    break;
                case ReportUnknown:
                    model.ExpireIfDue(now);
                    Assert.Equal(PaymentReportOutcome.UnknownReference, await grain.ReportPayment(new ProviderPaymentReport("sandbox", "sbx_unknown", true, "pay_x", null, 10000, "USD")));
                    break;
                case Cancel:
                    Assert.Equal(model.Cancel(now), (await grain.Cancel("test")).Succeeded);
                    break;
                case Advance advance:
                    clock.Advance(TimeSpan.FromMinutes(advance.Minutes));
                    break;
                case Expire:
                    var expired = await grain.ExpireIfDue();
                    model.ExpireIfDue(now);
                    Assert.Equal(model.Status == SessionStatus.Expired, expired);
                    break;
                case Read:
                    await grain.GetSnapshot();
                    model.ExpireIfDue(now);
                    break;
            }

            // Every read expires a due session first, in the grain and so in the model.
            var snapshot = (await grain.GetSnapshot())!;
            model.ExpireIfDue(clock.GetUtcNow());
            Assert.Equal(model.Status, snapshot.Status);
            Assert.Equal(model.ExpiresAt, snapshot.ExpiresAt);
            Assert.Equal(model.RefundRequired, snapshot.RefundRequired);
            Assert.Equal(model.FailedAttempts, snapshot.FailedAttempts);
            Assert.Equal(model.Log, (await grain.GetEvents()).Select(e => e.Type));
        }

        await CheckStored(grain, id, model);
        return true;
    }

    private async Task CheckStored(IPaymentSessionGrain grain, string id, Model model)
    {
        var log = await grain.GetEvents();
        Assert.Equal(Enumerable.Range(1, log.Count), log.Select(e => e.Version));

        var data = log.Select(e => (e.Type, Data: JsonNode.Parse(e.Data)!)).ToList();
        Assert.Equal(
            model.References,
            data.Where(e => e.Type == "PaymentInitiated").Select(e => e.Data["provider_reference"]!.GetValue<string>()));
        Assert.Equal(
            model.PaymentIds,
            data.Where(e => e.Type is "Completed" or "LatePaymentReceived" or "PaymentMismatch").Select(e => e.Data["provider_payment_id"]!.GetValue<string>()));

        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var command = db.CreateCommand("SELECT status, version, expires_at FROM sessions WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(model.Status.ToName(), reader.GetString(0));
        Assert.Equal(model.Log.Count, reader.GetInt32(1));
        // PostgreSQL keeps microseconds.
        Assert.InRange(reader.GetFieldValue<DateTimeOffset>(2) - model.ExpiresAt, TimeSpan.FromMicroseconds(-1), TimeSpan.FromMicroseconds(1));
    }

    /// <summary>
    /// The lifecycle as README.md draws it: Created → PaymentInitiated (again after a decline) →
    /// Completed | Expired | Canceled, the last three final; a session is due at its creation deadline,
    /// and once paying, at the end of the latest attempt's pending window; whatever touches a due
    /// session expires it first; paying again with a method whose attempt is still pending goes
    /// back to that attempt; a success completes only in the figures the attempt asked for, other
    /// figures are a mismatch kept for refund (the session stays open); money after the end is
    /// recorded for refund; a repeated report of one payment changes nothing.
    /// </summary>
    private sealed class Model(DateTimeOffset expiresAt)
    {
        private readonly Dictionary<string, AttemptState> _attempts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _methods = new(StringComparer.Ordinal);

        public SessionStatus Status { get; private set; } = SessionStatus.Created;

        public DateTimeOffset ExpiresAt { get; private set; } = expiresAt;

        public List<string> Log { get; } = ["Created"];

        public List<string> References { get; } = [];

        public List<string> PaymentIds { get; } = [];

        public bool RefundRequired { get; private set; }

        public int FailedAttempts => _attempts.Values.Count(a => a == AttemptState.Failed);

        private bool Open => Status is SessionStatus.Created or SessionStatus.PaymentInitiated;

        public void ExpireIfDue(DateTimeOffset now)
        {
            if (Open && now >= ExpiresAt)
            {
                Record("Expired", SessionStatus.Expired);
            }
        }

        public InitiatePaymentOutcome Pay(DateTimeOffset now, int method, string? reference)
        {
            ExpireIfDue(now);
            if (!Open)
            {
                return InitiatePaymentOutcome.Closed;
            }

            Assert.NotNull(reference);
            if (References.LastOrDefault(r => _methods[r] == method && _attempts[r] == AttemptState.Pending) is { } pending)
            {
                Assert.Equal(pending, reference);
                return InitiatePaymentOutcome.Initiated;
            }

            Record("PaymentInitiated", SessionStatus.PaymentInitiated);
            References.Add(reference);
            _attempts[reference] = AttemptState.Pending;
            _methods[reference] = method;
            if (now + PendingWindow > ExpiresAt)
            {
                ExpiresAt = now + PendingWindow;
            }

            return InitiatePaymentOutcome.Initiated;
        }

        public PaymentReportOutcome Report(DateTimeOffset now, string reference, bool succeeded, string paymentId, bool asked)
        {
            ExpireIfDue(now);
            if (!succeeded)
            {
                if (!Open || _attempts[reference] != AttemptState.Pending)
                {
                    return PaymentReportOutcome.Duplicate;
                }

                _attempts[reference] = AttemptState.Failed;
                Record("PaymentFailed", Status);
                return PaymentReportOutcome.FailureRecorded;
            }

            if (PaymentIds.Contains(paymentId))
            {
                return PaymentReportOutcome.Duplicate;
            }

            PaymentIds.Add(paymentId);
            if (Open && !asked)
            {
                _attempts[reference] = AttemptState.Mismatched;
                RefundRequired = true;
                Record("PaymentMismatch", Status);
                return PaymentReportOutcome.MismatchRecorded;
            }

            if (Open)
            {
                _attempts[reference] = AttemptState.Succeeded;
                Record("Completed", SessionStatus.Completed);
                return PaymentReportOutcome.Completed;
            }

            RefundRequired = true;
            Record("LatePaymentReceived", Status);
            return PaymentReportOutcome.LatePaymentRecorded;
        }

        public bool Cancel(DateTimeOffset now)
        {
            ExpireIfDue(now);
            if (!Open)
            {
                return false;
            }

            Record("Canceled", SessionStatus.Canceled);
            return true;
        }

        private void Record(string type, SessionStatus status)
        {
            Log.Add(type);
            Status = status;
        }
    }
}
