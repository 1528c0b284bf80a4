using Npgsql;
using PaySessions.Grains.Customers;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Customers;

/// <summary>
/// Customers are records of one business in one mode: found or created by the merchant's
/// reference (once, however many creates race), found again by id, and nobody else's.
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class CustomerTests(SessionClusterFixture fixture)
{
    [Fact]
    public async Task The_seeds_three_creates_with_one_customer_reference_make_one_customer_and_reuse_it()
    {
        var business = TestSessions.NewBusiness();
        var seedCustomer = SeedCustomer("cust_Lorem_Ipsum");

        var first = await fixture.Grains.FindOrCreateCustomer(business, false, seedCustomer);
        var second = await fixture.Grains.FindOrCreateCustomer(business, false, seedCustomer);
        var third = await fixture.Grains.FindOrCreateCustomer(business, false, SeedCustomer("cust_Lorem_Ipsum"));

        Assert.True(first.Created);
        Assert.Matches("^cust-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", first.Customer.CustomerId);
        Assert.Equal((false, true), (second.Created, second.SameDetails));
        Assert.Equal((false, true), (third.Created, third.SameDetails));
        Assert.Equal(first.Customer.CustomerId, second.Customer.CustomerId);
        Assert.Equal(first.Customer.CustomerId, third.Customer.CustomerId);
        Assert.Equal(1, await Rows(business, "cust_Lorem_Ipsum"));
    }

    [Fact]
    public async Task A_customer_is_found_again_by_id_with_every_field_as_given_and_only_by_its_business_in_its_mode()
    {
        var business = TestSessions.NewBusiness();
        var details = SeedCustomer("ref_" + Guid.NewGuid().ToString("N")) with
        {
            IndividualDetail = new IndividualDetail
            {
                GivenNames = "Lorem",
                Surname = "Ipsum",
                Nationality = "ID",
                PlaceOfBirth = "Jakarta",
                DateOfBirth = new DateOnly(1990, 2, 28),
                Gender = CustomerGender.Female,
            },
        };
        var id = (await fixture.Grains.FindOrCreateCustomer(business, false, details)).Customer.CustomerId;

        // A fresh customer grain reads the row: what comes back is what was stored.
        var found = await fixture.Grains.FindCustomer(business, false, id);

        Assert.NotNull(found);
        Assert.Equal(details, found.Details);
        Assert.Equal(business, found.BusinessId);
        Assert.False(found.Livemode);
        Assert.Null(await fixture.Grains.FindCustomer(TestSessions.NewBusiness(), false, id));
        Assert.Null(await fixture.Grains.FindCustomer(business, true, id));
        Assert.Null(await fixture.Grains.FindCustomer(business, false, CustomerIds.New()));
        Assert.Null(await fixture.Grains.FindCustomer(business, false, id.ToUpperInvariant()));
        Assert.Null(await fixture.Grains.FindCustomer(business, false, id[5..]));

        // The row holds the merchant's names and values.
        var json = await DetailsJson(id);
        Assert.Contains("\"given_names\": \"Lorem\"", json, StringComparison.Ordinal);
        Assert.Contains("\"type\": \"INDIVIDUAL\"", json, StringComparison.Ordinal);
        Assert.Contains("\"gender\": \"FEMALE\"", json, StringComparison.Ordinal);
        Assert.Contains("\"date_of_birth\": \"1990-02-28\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_reference_in_two_businesses_or_two_modes_is_two_customers_and_other_details_are_reported()
    {
        var business = TestSessions.NewBusiness();
        var reference = "ref_" + Guid.NewGuid().ToString("N");
        var test = await fixture.Grains.FindOrCreateCustomer(business, false, SeedCustomer(reference));
        var live = await fixture.Grains.FindOrCreateCustomer(business, true, SeedCustomer(reference));
        var other = await fixture.Grains.FindOrCreateCustomer(TestSessions.NewBusiness(), false, SeedCustomer(reference));
        var changed = await fixture.Grains.FindOrCreateCustomer(business, false, SeedCustomer(reference) with { Email = "other@yourdomain.com" });

        Assert.True(test.Created && live.Created && other.Created);
        Assert.Equal(3, new[] { test, live, other }.Select(r => r.Customer.CustomerId).Distinct().Count());
        Assert.True(live.Customer.Livemode);
        Assert.Equal((false, false), (changed.Created, changed.SameDetails));
        Assert.Equal(test.Customer.CustomerId, changed.Customer.CustomerId);
        Assert.Equal("test@yourdomain.com", changed.Customer.Details.Email);
    }

    [Fact]
    public async Task Concurrent_creates_with_one_reference_yield_one_customer()
    {
        var business = TestSessions.NewBusiness();
        var reference = "ref_" + Guid.NewGuid().ToString("N");

        var results = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => fixture.Grains.FindOrCreateCustomer(business, false, SeedCustomer(reference))));

        Assert.Single(results.Select(r => r.Customer.CustomerId).Distinct());
        Assert.Single(results, r => r.Created);
        Assert.Equal(1, await Rows(business, reference));
    }

    [Fact]
    public async Task Concurrent_inserts_past_the_grain_as_from_several_silos_yield_one_customer()
    {
        // What two activations on two silos would do: each its own candidate, all at once. The
        // table's unique reference decides; every caller gets the one stored customer.
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        var store = new PostgresCustomerStore(db);
        var business = TestSessions.NewBusiness();
        var reference = "ref_" + Guid.NewGuid().ToString("N");

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
            store.InsertOrGetAsync(new Customer(CustomerIds.New(), business, false, DateTimeOffset.UtcNow, SeedCustomer(reference))))));

        Assert.Single(results.Select(r => r.Stored.CustomerId).Distinct());
        Assert.Single(results, r => r.Inserted);
        Assert.Equal(1, await Rows(business, reference));
    }

    private static CustomerDetails SeedCustomer(string reference) => new()
    {
        Type = CustomerType.Individual,
        ReferenceId = reference,
        Email = "test@yourdomain.com",
        MobileNumber = "+6212345678",
        IndividualDetail = new IndividualDetail { GivenNames = "Lorem", Surname = "Ipsum" },
    };

    private async Task<long> Rows(string business, string reference)
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var command = db.CreateCommand("SELECT count(*) FROM customers WHERE business_id = $1 AND reference_id = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = business });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reference });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<string> DetailsJson(string customerId)
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var command = db.CreateCommand("SELECT details::text FROM customers WHERE customer_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = customerId });
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
