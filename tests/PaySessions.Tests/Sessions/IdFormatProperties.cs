using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using PaySessions.Grains.Customers;
using PaySessions.Grains.Sessions;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// The id shapes, checked against regular expressions written here from the contract: every id
/// minted has its shape, and the checks accept exactly the strings of that shape, among generated
/// strings built to sit near it (the right alphabet, prefixes, lengths and case).
/// </summary>
public sealed partial class IdFormatProperties
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(2000);

    [Fact]
    public void Minted_session_ids_have_their_shape_and_are_well_formed()
    {
        Check.One(Runs, Prop.ForAll(Arb.From(Gen.Constant(0)), _ =>
        {
            var payviox = SessionIds.New();
            var xendit = SessionIds.NewXendit();
            return PayvioxShape().IsMatch(payviox) && XenditShape().IsMatch(xendit)
                && SessionIds.IsWellFormed(payviox) && SessionIds.IsWellFormed(xendit)
                && SessionIds.IsPayviox(payviox) && !SessionIds.IsXendit(payviox)
                && SessionIds.IsXendit(xendit) && !SessionIds.IsPayviox(xendit);
        }));
    }

    [Fact]
    public void Session_id_checks_accept_exactly_the_two_shapes()
    {
        var minted = Gen.Elements(true, false).Select(xendit => xendit ? SessionIds.NewXendit() : SessionIds.New());
        Check.One(Runs, Prop.ForAll(Arb.From(Gen.OneOf(minted, Mutated(minted), NearIds("ps-", 24, 32))), id =>
            SessionIds.IsWellFormed(id) == (PayvioxShape().IsMatch(id) || XenditShape().IsMatch(id))
            && SessionIds.IsXendit(id) == XenditShape().IsMatch(id)
            && SessionIds.IsPayviox(id) == PayvioxShape().IsMatch(id)));
    }

    [Fact]
    public void Minted_customer_ids_are_version_4_uuids_and_the_check_accepts_exactly_their_shape()
    {
        Check.One(Runs, Prop.ForAll(Arb.From(Gen.Constant(0)), _ =>
        {
            var id = CustomerIds.New();
            return CustomerUuid4().IsMatch(id) && CustomerIds.IsWellFormed(id);
        }));
        Check.One(Runs, Prop.ForAll(Arb.From(NearCustomerIds()), id => CustomerIds.IsWellFormed(id) == CustomerShape().IsMatch(id)));
    }

    [Fact]
    public void A_customer_reference_key_reads_back_as_the_business_mode_and_reference_it_was_made_of()
    {
        var text = Gen.Elements('a', 'b', '/', ':', '1', '|', ' ', 'é').ArrayOf().Select(chars => new string(chars));
        var triple = from business in text.Where(s => s.Length > 0)
                     from live in Gen.Elements(true, false)
                     from reference in text.Where(s => s.Length > 0)
                     select (business, live, reference);

        Check.One(Runs, Prop.ForAll(Arb.From(triple), t =>
            CustomerKeys.TryParseReference(CustomerKeys.ForReference(t.business, t.live, t.reference), out var business, out var live, out var reference)
            && business == t.business && live == t.live && reference == t.reference));
    }

    // Strings near a valid id: an optional prefix (right, wrong case, wrong separator), then
    // characters mostly from lowercase hex, with lengths around the valid ones.
    private static Gen<string> NearIds(string prefix, params int[] lengths)
    {
        var head = Gen.Elements("", prefix, prefix.ToUpperInvariant(), prefix.Replace('-', '_'), "p");
        var body = from length in Gen.OneOf(Gen.Elements(lengths), Gen.Elements(lengths).Select(n => n + 1), Gen.Elements(lengths).Select(n => n - 1), Gen.Choose(0, 40))
                   from chars in Gen.Elements("0123456789abcdef0123456789abcdefABCG-_ ".ToCharArray()).ArrayOf(Math.Max(0, length))
                   select new string(chars);
        return from h in head from b in body select h + b;
    }

    private static Gen<string> NearCustomerIds()
    {
        var valid = Gen.Constant(0).Select(_ => CustomerIds.New());
        return Gen.OneOf(valid, Mutated(valid), NearIds("cust-", 36));
    }

    // Valid ids with one character changed (often to another valid one), one added, or cut short.
    private static Gen<string> Mutated(Gen<string> valid)
    {
        var changed = from id in valid
                      from at in Gen.Choose(0, id.Length - 1)
                      from c in Gen.Elements("0123456789abcdefAF-_xCps\n".ToCharArray())
                      select id[..at] + c + id[(at + 1)..];
        var added = from id in valid
                    from c in Gen.Elements("0a-\nF".ToCharArray())
                    select id + c;
        var shortened = from id in valid from cut in Gen.Choose(0, id.Length) select id[..cut];
        return Gen.OneOf(changed, added, shortened);
    }

    [GeneratedRegex("^[0-9a-f]{32}\\z")]
    private static partial Regex PayvioxShape();

    [GeneratedRegex("^ps-[0-9a-f]{24}\\z")]
    private static partial Regex XenditShape();

    [GeneratedRegex("^cust-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\z")]
    private static partial Regex CustomerShape();

    [GeneratedRegex("^cust-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\\z")]
    private static partial Regex CustomerUuid4();
}
