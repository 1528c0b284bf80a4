using System.Net;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using PaySessions.Tests.Infrastructure;
using static PaySessions.Tests.Api.SessionListingTests;

namespace PaySessions.Tests.Api;

/// <summary>
/// For a random set of sessions (customers, canceled or not), a random filter and a random limit,
/// paging forward to the end yields exactly the filtered set newest first, and paging back from its
/// oldest yields every newer match, with no duplicates and no gaps, while new sessions are created
/// between pages. Each run lists a business of its own over real HTTP, in both dialects.
/// </summary>
public sealed class SessionListingProperties(SessionListingTests.Host host) : IClassFixture<SessionListingTests.Host>
{
    private const int MaxPages = 200;
    private const int MaxCreatedWhilePaging = 4;

    private readonly ApiFixture _api = host.Api;

    /// <summary>
    /// A generated case. Indexes point into the sessions created first (out of range: no such
    /// filter). <see cref="Status"/>: 0 none, 1 open, 2 canceled, 3 both.
    /// </summary>
    public sealed record Scenario(
        int[] Customers,
        bool[] Canceled,
        int Status,
        int Customer,
        int Order,
        int From,
        int To,
        int Limit,
        bool[] CreateBetweenPages,
        int NewCustomer)
    {
        public override string ToString() =>
            $"sessions [{string.Join(",", Customers.Zip(Canceled, (c, x) => x ? $"{c}x" : $"{c}"))}], status {Status}, customer {Customer}, order {Order}, "
            + $"from {From}, to {To}, limit {Limit}, create between pages [{string.Join(",", CreateBetweenPages.Select(b => b ? 1 : 0))}], new customer {NewCustomer}";
    }

    private sealed record Listed(string Id, int Customer, string CustomerKey, string Order, bool Canceled);

    [Fact]
    public void Paging_a_payviox_filter_both_ways_yields_exactly_its_sessions_newest_first() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), Prop.ForAll(Arb.From(Scenarios()), s => Task.Run(() => Holds(s, xendit: false)).GetAwaiter().GetResult()));

    [Fact]
    public void Paging_a_xendit_filter_both_ways_yields_exactly_its_sessions_newest_first() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(20), Prop.ForAll(Arb.From(Scenarios()), s => Task.Run(() => Holds(s, xendit: true)).GetAwaiter().GetResult()));

    private static Gen<Scenario> Scenarios() =>
        from n in Gen.Choose(0, 8)
        from customers in Gen.ArrayOf(Gen.Choose(0, 2), n)
        from canceled in Gen.ArrayOf(Gen.Elements(false, false, true), n)
        from status in Gen.Frequency((2, Gen.Constant(0)), (1, Gen.Choose(1, 3)))
        from customer in Gen.Frequency((2, Gen.Constant(-1)), (1, Gen.Choose(0, 2)))
        from order in Gen.Frequency((4, Gen.Constant(-1)), (1, Gen.Constant(99)), (1, Gen.Choose(0, 8)))
        from from_ in Gen.Frequency((2, Gen.Constant(-1)), (1, Gen.Choose(0, 8)))
        from to in Gen.Frequency((2, Gen.Constant(-1)), (1, Gen.Choose(0, 8)))
        from limit in Gen.Frequency((4, Gen.Choose(1, 4)), (1, Gen.Constant(100)))
        from between in Gen.ArrayOf(Gen.Elements(false, true), 4)
        from newCustomer in Gen.Choose(0, 2)
        select new Scenario(customers, canceled, status, customer, order, from_, to, limit, between, newCustomer);

    private async Task<bool> Holds(Scenario s, bool xendit)
    {
        var business = await _api.NewBusiness();
        var prefix = Guid.NewGuid().ToString("N")[..8];
        var sessions = new List<Listed>();
        var customerIds = new Dictionary<int, string>();

        async Task<Listed> Create(int customer, int index)
        {
            if (!xendit)
            {
                var key = $"cus_{prefix}_{customer}";
                var order = $"ord_{prefix}_{index}";
                return new Listed(await CreatePayviox(_api, business.SecretKey, key, order), customer, key, order, false);
            }

            // Xendit references are labels that may repeat: two sessions share each one.
            var reference = $"ref_{prefix}_{index / 2}";
            var response = await PostXendit(_api, business.SecretKey, XenditBody(reference: reference, customerReference: $"cref_{prefix}_{customer}"), null);
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            customerIds[customer] = json["customer_id"]!.GetValue<string>();
            return new Listed(json["payment_session_id"]!.GetValue<string>(), customer, customerIds[customer], reference, false);
        }

        for (var i = 0; i < s.Customers.Length; i++)
        {
            var created = await Create(s.Customers[i], i);
            if (s.Canceled[i])
            {
                var cancel = xendit
                    ? await _api.Send(HttpMethod.Post, $"/sessions/{created.Id}/cancel", null, null, r => r.Headers.Authorization = Basic(business.SecretKey))
                    : await _api.Post($"/session/{created.Id}/cancel", business.SecretKey, "{}");
                Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
                created = created with { Canceled = true };
            }

            sessions.Add(created);
        }

        var times = await CreatedTimes(_api, business.BusinessId);
        var byAge = sessions.OrderBy(x => times[x.Id]).ThenBy(x => x.Id, StringComparer.Ordinal).ToList();
        DateTimeOffset? from = s.From >= 0 && s.From < byAge.Count ? times[byAge[s.From].Id] : null;
        DateTimeOffset? to = s.To >= 0 && s.To < byAge.Count ? times[byAge[s.To].Id] : null;
        if (from is { } f && to is { } t && t <= f)
        {
            to = null;
        }

        var query = new List<string>();
        var openWord = xendit ? "ACTIVE" : "created";
        var canceledWord = xendit ? "CANCELED" : "canceled";
        if (s.Status > 0)
        {
            query.Add("status=" + (s.Status == 1 ? openWord : s.Status == 2 ? canceledWord : $"{openWord},{canceledWord}"));
        }

        string? customerFilter = null;
        if (s.Customer >= 0)
        {
            customerFilter = xendit
                ? customerIds.GetValueOrDefault(s.Customer, "cust-00000000-0000-4000-8000-000000000000")
                : $"cus_{prefix}_{s.Customer}";
            query.Add((xendit ? "customer_id=" : "customer=") + customerFilter);
        }

        string? orderFilter = null;
        if (s.Order >= 0)
        {
            orderFilter = s.Order < sessions.Count ? sessions[s.Order].Order : "no_such_order";
            query.Add((xendit ? "reference_id=" : "order_id=") + orderFilter);
        }

        if (from is { } fromAt)
        {
            query.Add("created_from=" + Iso(fromAt));
        }

        if (to is { } toAt)
        {
            query.Add("created_to=" + Iso(toAt));
        }

        query.Add($"limit={s.Limit}");

        bool Matches(Listed x, IReadOnlyDictionary<string, DateTimeOffset> at) =>
            (s.Status == 0 || (s.Status == 1 && !x.Canceled) || (s.Status == 2 && x.Canceled) || s.Status == 3)
            && (customerFilter is null || x.CustomerKey == customerFilter)
            && (orderFilter is null || x.Order == orderFilter)
            && (from is null || at[x.Id] >= from)
            && (to is null || at[x.Id] < to);

        List<string> Expected(IReadOnlyDictionary<string, DateTimeOffset> at) =>
            [.. sessions.Where(x => Matches(x, at)).OrderByDescending(x => at[x.Id]).ThenByDescending(x => x.Id, StringComparer.Ordinal).Select(x => x.Id)];

        var expectedForward = Expected(times);
        var pages = 0;
        var createdWhilePaging = 0;

        async Task<(List<string> Ids, bool HasMore)> Page(string cursor)
        {
            var response = xendit
                ? await ListXendit(_api, business.SecretKey, string.Join("&", query.Append(cursor).Where(q => q.Length > 0)))
                : await _api.Get("/session?" + string.Join("&", query.Append(cursor).Where(q => q.Length > 0)), business.SecretKey);
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
            var idField = xendit ? "payment_session_id" : "session_id";
            var ids = json["data"]!.AsArray().Select(x => x![idField]!.GetValue<string>()).ToList();
            Assert.True(ids.Count <= s.Limit);
            // A new session, created while the caller pages: never a duplicate or a gap.
            // At most a few, or a walk back with limit 1 would chase the new ones for ever.
            if (json["has_more"]!.GetValue<bool>() && s.CreateBetweenPages[pages++ % s.CreateBetweenPages.Length] && createdWhilePaging++ < MaxCreatedWhilePaging)
            {
                sessions.Add(await Create(s.NewCustomer, sessions.Count));
            }

            Assert.True(pages < MaxPages, "paging does not end");
            return (ids, json["has_more"]!.GetValue<bool>());
        }

        var forward = new List<string>();
        var (first, more) = await Page("");
        forward.AddRange(first);
        while (more)
        {
            Assert.NotEmpty(forward);
            (var next, more) = await Page($"starting_after={forward[^1]}");
            forward.AddRange(next);
        }

        Assert.Equal(expectedForward, forward);
        if (forward.Count == 0)
        {
            return true;
        }

        // Back from the oldest match: every newer match, new ones included, the cursor itself not.
        var oldest = forward[^1];
        var backward = new List<string>();
        var cursor = oldest;
        do
        {
            (var page, more) = await Page($"ending_before={cursor}");
            backward.InsertRange(0, page);
            cursor = page.Count > 0 ? page[0] : cursor;
        }
        while (more);

        var expectedBackward = Expected(await CreatedTimes(_api, business.BusinessId)).Where(id => id != oldest).ToList();
        Assert.Equal(expectedBackward, backward);
        return true;
    }
}
