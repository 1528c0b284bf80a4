using System.Net.Http.Headers;
using System.Text;
using Npgsql;
using PaySessions.Grains.Merchants;

namespace PaySessions.Tests.Infrastructure;

/// <summary>One whole host (Development, so the dev merchant and its keys exist) shared by the API tests.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public const string DevPublicKey = "pk_test_devmerchant000000000000";
    public const string DevSecretKey = "sk_test_devmerchant000000000000";
    public const string DevBusiness = "merchant_dev";

    public TestHost Host { get; private set; } = null!;

    /// <summary>
    /// The shared host serves every test class of its collection at once, all from 127.0.0.1: its
    /// per-IP limit is raised so that those tests never meet it by their number (the per-IP limit
    /// is tested on hosts of their own). The per-customer limit stays as configured: tests that
    /// want many sessions use customers of their own, and one test reaches that limit on purpose.
    /// </summary>
    public async Task InitializeAsync() => Host = await TestHost.StartAsync(settings: new Dictionary<string, string?>
    {
        ["PaySessions:RateLimits:PerIp:Limit"] = "1000000",
    });

    /// <summary>For tests that need a host with settings of its own.</summary>
    public async Task InitializeWith(IDictionary<string, string?> settings) => Host = await TestHost.StartAsync(settings: settings);

    /// <summary>For tests that start the host themselves (e.g. with routes of their own).</summary>
    public void Use(TestHost host) => Host = host;

    public async Task DisposeAsync() => await Host.DisposeAsync();

    public Task<HttpResponseMessage> Post(string path, string? key, string body) => Send(HttpMethod.Post, path, key, body);

    public Task<HttpResponseMessage> Get(string path, string? key) => Send(HttpMethod.Get, path, key, null);

    public async Task<HttpResponseMessage> Send(HttpMethod method, string path, string? key, string? body, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        configure?.Invoke(request);
        return await Host.Http.SendAsync(request);
    }

    /// <summary>A second business with its own test keys.</summary>
    public async Task<IssuedKeys> NewBusiness(string name = "Other Ltd")
    {
        var business = Host.Grains.GetGrain<IBusinessGrain>(TestSessions.NewBusiness());
        await business.Register(name);
        return await business.IssueKeys(ApiKeyMode.Test);
    }

    /// <summary>How many sessions rows a business has for an order id: the "writes nothing" check.</summary>
    public async Task<long> SessionRows(string businessId, string orderId)
    {
        await using var db = NpgsqlDataSource.Create(Host.ConnectionString);
        await using var command = db.CreateCommand("SELECT count(*) FROM sessions WHERE business_id = $1 AND order_id = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = orderId });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// How many Created events name a business and order id, whatever their stream: a refused
    /// create must write none, and an order id has one however many creates raced for it.
    /// </summary>
    public async Task<long> CreatedEvents(string businessId, string orderId)
    {
        await using var db = NpgsqlDataSource.Create(Host.ConnectionString);
        await using var command = db.CreateCommand(
            "SELECT count(*) FROM session_events WHERE type = 'Created' AND data->>'business_id' = $1 AND data->>'order_id' = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = orderId });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "API host";
}
