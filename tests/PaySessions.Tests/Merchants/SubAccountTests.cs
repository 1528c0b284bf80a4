using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Merchants;

/// <summary>
/// Sub-accounts on the real business grains and the real <c>businesses</c> table: a parent acts for
/// its own sub-accounts (the for-user-id rule) and for nobody else's, and they are one level deep.
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class SubAccountTests(SessionClusterFixture fixture)
{
    [Fact]
    public async Task A_parent_acts_for_its_sub_account_and_not_for_a_strangers_or_its_parent()
    {
        var (parent, sub) = await Family();
        var (stranger, strangersSub) = await Family();
        var business = fixture.Grains.GetGrain<IBusinessGrain>(parent);

        Assert.True(await business.ActsFor(parent));
        Assert.True(await business.ActsFor(sub));
        Assert.False(await business.ActsFor(stranger));
        Assert.False(await business.ActsFor(strangersSub));
        Assert.False(await fixture.Grains.GetGrain<IBusinessGrain>(sub).ActsFor(parent));
        Assert.False(await fixture.Grains.GetGrain<IBusinessGrain>(stranger).ActsFor(sub));

        Assert.Equal(new ActingBusiness(true, sub), await business.ResolveActingBusiness(sub));
        Assert.Equal(new ActingBusiness(true, parent), await business.ResolveActingBusiness(null));
        Assert.Equal(new ActingBusiness(true, parent), await business.ResolveActingBusiness(""));
        Assert.Equal(new ActingBusiness(true, parent), await business.ResolveActingBusiness(parent));
        Assert.Equal(new ActingBusiness(false, parent), await business.ResolveActingBusiness(strangersSub));
        Assert.Equal(new ActingBusiness(false, parent), await business.ResolveActingBusiness("biz_nobody"));
        Assert.Equal(new ActingBusiness(false, sub), await fixture.Grains.GetGrain<IBusinessGrain>(sub).ResolveActingBusiness(parent));
    }

    [Fact]
    public async Task The_profiles_and_the_listing_name_the_parent_and_its_sub_accounts()
    {
        var (parent, sub) = await Family();
        var second = TestSessions.NewBusiness();
        Assert.True((await fixture.Grains.GetGrain<IBusinessGrain>(second).RegisterSubAccount("Second Shop", parent)).Accepted);

        var parentProfile = await fixture.Grains.GetGrain<IBusinessGrain>(parent).GetProfile();
        var subProfile = await fixture.Grains.GetGrain<IBusinessGrain>(sub).GetProfile();

        Assert.Null(parentProfile!.ParentBusinessId);
        Assert.Equal([sub, second], parentProfile.SubAccounts!);
        Assert.Equal(parent, subProfile!.ParentBusinessId);
        Assert.Empty(subProfile.SubAccounts!);
        Assert.Equal(parent, await ParentColumn(sub));
        Assert.Null(await ParentColumn(parent));
    }

    [Fact]
    public async Task Sub_accounts_are_one_level_deep_in_the_grain_and_in_the_database()
    {
        var (parent, sub) = await Family();
        var grandchild = TestSessions.NewBusiness();

        var refused = await fixture.Grains.GetGrain<IBusinessGrain>(grandchild).RegisterSubAccount("Too Deep", sub);

        Assert.False(refused.Accepted);
        Assert.Equal($"Business {sub} is itself a sub-account of {parent}: sub-accounts are one level deep.", refused.Error);
        Assert.Null(await fixture.Grains.GetGrain<IBusinessGrain>(grandchild).GetProfile());
        Assert.Null(await ParentColumn(grandchild));

        // The table refuses it too, whoever writes: a parent with a parent, or a parent of a parent.
        var deep = await Assert.ThrowsAsync<PostgresException>(() => InsertRow(grandchild, sub));
        Assert.Equal(PostgresErrorCodes.CheckViolation, deep.SqlState);
        var top = TestSessions.NewBusiness();
        await InsertRow(top, null);
        var above = await Assert.ThrowsAsync<PostgresException>(() => SetParent(parent, top));
        Assert.Equal(PostgresErrorCodes.CheckViolation, above.SqlState);
    }

    [Fact]
    public async Task A_sub_account_is_refused_for_an_unknown_parent_itself_or_an_existing_business_and_registering_again_changes_nothing()
    {
        var (parent, sub) = await Family();
        var top = TestSessions.NewBusiness();
        await fixture.Grains.GetGrain<IBusinessGrain>(top).Register("Top Ltd");
        var fresh = TestSessions.NewBusiness();

        var unknownParent = await fixture.Grains.GetGrain<IBusinessGrain>(fresh).RegisterSubAccount("Orphan", "biz_nobody_here");
        var itself = await fixture.Grains.GetGrain<IBusinessGrain>(fresh).RegisterSubAccount("Self", fresh);
        var existingTop = await fixture.Grains.GetGrain<IBusinessGrain>(top).RegisterSubAccount("Top Ltd", parent);
        var otherParent = await fixture.Grains.GetGrain<IBusinessGrain>(sub).RegisterSubAccount("Sub", top);
        var before = await fixture.Grains.GetGrain<IBusinessGrain>(sub).GetProfile();
        var again = await fixture.Grains.GetGrain<IBusinessGrain>(sub).RegisterSubAccount("Renamed", parent);

        Assert.Equal("Business biz_nobody_here is not registered.", unknownParent.Error);
        Assert.Equal("A business cannot be its own sub-account.", itself.Error);
        Assert.Equal($"Business {top} already exists and is not a sub-account.", existingTop.Error);
        Assert.Equal($"Business {sub} is already a sub-account of {parent}.", otherParent.Error);
        Assert.Null(await fixture.Grains.GetGrain<IBusinessGrain>(fresh).GetProfile());
        Assert.False(await fixture.Grains.GetGrain<IBusinessGrain>(parent).ActsFor(top));
        Assert.False(await fixture.Grains.GetGrain<IBusinessGrain>(top).ActsFor(sub));
        Assert.True(again.Accepted);
        Assert.Equal(before!.Name, again.Profile!.Name);
        Assert.Equal(before.CreatedAt, again.Profile.CreatedAt);
    }

    [Fact]
    public async Task A_parent_adopts_only_a_business_listed_as_its_sub_account()
    {
        var (parent, _) = await Family();
        var top = TestSessions.NewBusiness();
        await fixture.Grains.GetGrain<IBusinessGrain>(top).Register("Independent Ltd");

        var refused = await fixture.Grains.GetGrain<IBusinessGrain>(parent).AdoptSubAccount(top);

        Assert.Equal($"Business {top} is not recorded as a sub-account of {parent}.", refused);
        Assert.False(await fixture.Grains.GetGrain<IBusinessGrain>(parent).ActsFor(top));
    }

    [Fact]
    public async Task The_sub_account_and_customer_script_is_safe_to_run_again()
    {
        var assembly = typeof(PaySessions.Silo.Database.DatabaseMigrator).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith("0008_subaccounts_customers.sql", StringComparison.Ordinal));
        string script;
        await using (var stream = assembly.GetManifestResourceStream(name)!)
        using (var reader = new StreamReader(stream))
        {
            script = await reader.ReadToEndAsync();
        }

        var (parent, sub) = await Family();
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using (var again = db.CreateCommand(script))
        {
            await again.ExecuteNonQueryAsync();
        }

        Assert.Equal(parent, await ParentColumn(sub));
        var deep = await Assert.ThrowsAsync<PostgresException>(() => InsertRow(TestSessions.NewBusiness(), sub));
        Assert.Equal(PostgresErrorCodes.CheckViolation, deep.SqlState);
    }

    private async Task<(string Parent, string Sub)> Family()
    {
        var parent = TestSessions.NewBusiness();
        var sub = TestSessions.NewBusiness();
        await fixture.Grains.GetGrain<IBusinessGrain>(parent).Register("Platform Ltd");
        var registered = await fixture.Grains.GetGrain<IBusinessGrain>(sub).RegisterSubAccount("Seller Shop", parent);
        Assert.True(registered.Accepted, registered.Error);
        return (parent, sub);
    }

    private async Task<string?> ParentColumn(string businessId)
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var command = db.CreateCommand("SELECT parent_business_id FROM businesses WHERE business_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
        return await command.ExecuteScalarAsync() as string;
    }

    private async Task InsertRow(string businessId, string? parent)
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var command = db.CreateCommand("INSERT INTO businesses (business_id, registered_at, parent_business_id) VALUES ($1, now(), $2)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)parent ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync();
    }

    private async Task SetParent(string businessId, string parent)
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var command = db.CreateCommand("UPDATE businesses SET parent_business_id = $2 WHERE business_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = parent });
        await command.ExecuteNonQueryAsync();
    }
}
