using System.Net;
using FsCheck;
using FsCheck.Fluent;
using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;
using static PaySessions.Tests.Idempotency.IdempotencyProbe;

namespace PaySessions.Tests.Idempotency;

/// <summary>
/// Any sequence of (key, body) requests, in either dialect, from a business of its own: the number
/// of sessions is the number of distinct keys, every repeat of a key's first body is that first
/// answer byte for byte, and every other body with a used key is 422.
/// </summary>
public sealed class IdempotencyKeyProperties(IdempotencyKeyTests.Host host) : IClassFixture<IdempotencyKeyTests.Host>
{
    private readonly ApiFixture _api = host.Api;

    private sealed record Step(int Key, int Body);

    private sealed record Run(bool Xendit, Step[] Steps);

    [Fact]
    public void Effects_equal_distinct_keys_replays_are_identical_and_other_bodies_are_422()
    {
        var steps = from key in Gen.Choose(0, 3) from body in Gen.Choose(0, 2) select new Step(key, body);
        var runs = from xendit in ArbMap.Default.GeneratorFor<bool>()
                   from count in Gen.Choose(1, 10)
                   from sequence in Gen.ArrayOf(steps, count)
                   select new Run(xendit, sequence);

        var property = Prop.ForAll(Arb.From(runs), run => Task.Run(() => Holds(run)).GetAwaiter().GetResult());

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), property);
    }

    private async Task<bool> Holds(Run run)
    {
        var business = await _api.NewBusiness("Property Ltd");
        var nonce = Guid.NewGuid().ToString("N")[..12];
        var keys = Enumerable.Range(0, 4).Select(i => $"{nonce}-{i}").ToArray();
        var first = new Dictionary<int, (int Body, Answer Answer)>();
        foreach (var step in run.Steps)
        {
            // A body of its own per (key, body) pair, so that no two first uses collide on an order id.
            var order = $"order_{nonce}_{step.Key}_{step.Body}";
            var answer = run.Xendit
                ? await Post(_api.Host.Http, "/sessions", Basic(business.SecretKey), XenditBody(order, "cust_" + nonce), keys[step.Key])
                : await Post(_api.Host.Http, "/session", Bearer(business.SecretKey), PayvioxBody(order), keys[step.Key]);
            if (!first.TryGetValue(step.Key, out var known))
            {
                Assert.True(answer.Status == HttpStatusCode.Created && !answer.Replayed, $"{answer} for {step} of {run}");
                first[step.Key] = (step.Body, answer);
            }
            else if (known.Body == step.Body)
            {
                Assert.True(answer.SameAs(known.Answer) && answer.Replayed, $"{answer} after {known.Answer} for {step} of {run}");
            }
            else
            {
                Assert.True(answer.Status == HttpStatusCode.UnprocessableEntity, $"{answer} for {step} of {run}");
                Assert.Equal(run.Xendit ? ReusedXendit : ReusedPayviox, answer.Text);
            }
        }

        var sessions = await Count(_api.Host.ConnectionString, "SELECT count(*) FROM sessions WHERE business_id = $1", business.BusinessId);
        Assert.Equal(first.Count, sessions);
        return true;
    }
}
