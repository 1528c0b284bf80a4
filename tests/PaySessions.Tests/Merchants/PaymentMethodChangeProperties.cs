using FsCheck;
using FsCheck.Fluent;
using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Merchants;

/// <summary>
/// Random sequences of enable-methods and disable-methods against a real business grain, checked
/// after every step against a model written here from the rules: enabling needs every id in the
/// catalogue with a configured provider, disabling needs every id enabled or catalogued, a refusal
/// changes nothing, and ids are exact (case matters).
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class PaymentMethodChangeProperties(SessionClusterFixture fixture)
{
    // The test cluster's catalogue: sandbox_card and sandbox_wallet, both on the configured sandbox.
    private static readonly string[] Catalogued = ["sandbox_card", "sandbox_wallet"];
    private static readonly string[] Ids = ["sandbox_card", "sandbox_wallet", "Sandbox_Card", "zen_card", "nope"];

    public sealed record Change(bool Enable, int[] Methods);

    [Fact]
    public void Enabled_methods_follow_every_accepted_change_and_no_refused_one()
    {
        var change = from enable in Gen.Elements(true, false)
                     from methods in Gen.Choose(0, Ids.Length - 1).ArrayOf().Select(a => a.Take(3).ToArray())
                     select new Change(enable, methods);
        var sequences = Arb.From(
            change.ListOf().Select(s => s.ToList()),
            list => Enumerable.Range(0, list.Count).Select(i => list.Where((_, j) => j != i).ToList()));

        var property = Prop.ForAll(sequences, steps => Task.Run(() => Holds(steps)).GetAwaiter().GetResult());

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40).WithEndSize(10), property);
    }

    private async Task<bool> Holds(List<Change> steps)
    {
        var business = fixture.Grains.GetGrain<IBusinessGrain>(TestSessions.NewBusiness());
        await business.Register("Property Ltd");
        var model = new List<string>();
        foreach (var step in steps)
        {
            var ids = step.Methods.Select(i => Ids[i]).ToList();
            var result = step.Enable ? await business.EnableMethods(ids) : await business.DisableMethods(ids);
            var accepted = Apply(model, step.Enable, ids);
            var stored = (await business.GetProfile())!.EnabledPaymentMethods;
            if (result.Accepted != accepted
                || !result.Enabled.SequenceEqual(model)
                || !stored.SequenceEqual(model)
                || (result.Error is null) != accepted)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Apply(List<string> model, bool enable, List<string> ids)
    {
        if (ids.Count == 0)
        {
            return false;
        }

        if (enable)
        {
            if (!ids.All(Catalogued.Contains))
            {
                return false;
            }

            foreach (var id in ids.Where(id => !model.Contains(id)).Distinct())
            {
                model.Add(id);
            }

            return true;
        }

        if (!ids.All(id => model.Contains(id) || Catalogued.Contains(id)))
        {
            return false;
        }

        model.RemoveAll(ids.Contains);
        return true;
    }
}
