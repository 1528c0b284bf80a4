using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Merchants;

/// <summary>
/// The per-business <c>x-callback-token</c>: issued once, stored only encrypted, recoverable by the
/// webhook side, and replaced whole by a rotation.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class CallbackTokenTests(ApiFixture api)
{
    [Fact]
    public async Task A_rotation_issues_a_new_token_and_the_old_one_is_no_longer_returned()
    {
        var business = await Registered();

        var first = await business.RotateCallbackToken();
        var firstStored = await business.GetProtectedCallbackToken();
        var second = await business.RotateCallbackToken();
        var secondStored = await business.GetProtectedCallbackToken();

        Assert.True(first.Accepted && second.Accepted);
        Assert.Matches("^[A-Za-z0-9]{48}$", first.Token!);
        Assert.NotEqual(first.Token, second.Token);
        Assert.Equal(first.Token, Unprotect(firstStored!));
        Assert.Equal(second.Token, Unprotect(secondStored!));
        Assert.True((await business.GetProfile())!.HasCallbackToken);
    }

    [Fact]
    public async Task The_webhook_side_gets_the_token_with_the_webhook_target_and_it_is_stored_only_encrypted()
    {
        var business = await Registered();
        Assert.True((await business.ConfigureWebhook("http://127.0.0.1:9/hooks")).Accepted);
        Assert.Null((await business.GetWebhookTarget())!.ProtectedCallbackToken);

        var token = (await business.RotateCallbackToken()).Token!;
        var target = await business.GetWebhookTarget();

        Assert.Equal(token, Unprotect(target!.ProtectedCallbackToken!));
        StoredSecrets.AssertAbsent(await StoredRow(business.GetPrimaryKeyString()), token);
    }

    [Fact]
    public async Task The_dev_business_carries_its_configured_token_and_an_unregistered_business_gets_none()
    {
        var dev = api.Host.Grains.GetGrain<IBusinessGrain>(ApiFixture.DevBusiness);
        var nobody = api.Host.Grains.GetGrain<IBusinessGrain>(TestSessions.NewBusiness());

        var refused = await nobody.RotateCallbackToken();
        var tooShort = await (await Registered()).ImportCallbackToken("short");

        Assert.Equal("cbtoken_devmerchant_development_only", Unprotect((await dev.GetProtectedCallbackToken())!));
        Assert.False(refused.Accepted);
        Assert.Null(refused.Token);
        Assert.Null(await nobody.GetProtectedCallbackToken());
        Assert.Equal("The callback token must be at least 16 characters.", tooShort.Error);
    }

    private string Unprotect(string stored) => api.Host.Services.GetRequiredService<SecretProtector>().Unprotect(stored);

    private async Task<IBusinessGrain> Registered()
    {
        var business = api.Host.Grains.GetGrain<IBusinessGrain>(TestSessions.NewBusiness());
        await business.Register("Token Shop");
        return business;
    }

    private async Task<byte[]> StoredRow(string businessId)
    {
        await using var db = NpgsqlDataSource.Create(api.Host.ConnectionString);
        await using var command = db.CreateCommand("SELECT payload_binary FROM orleans_storage WHERE grain_id_extension_string = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
        return (byte[])(await command.ExecuteScalarAsync())!;
    }
}
