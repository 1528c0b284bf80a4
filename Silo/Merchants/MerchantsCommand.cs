using System.CommandLine;
using Orleans.Configuration;
using PaySessions.Grains.Merchants;
using PaySessions.Silo.Hosting;

namespace PaySessions.Silo.Merchants;

/// <summary>
/// <c>dotnet run --project Silo -- merchants …</c>: operator commands, run as an Orleans client of
/// the cluster on the configured database, so the business grains stay the only writers.
/// </summary>
public static class MerchantsCommand
{
    public static bool Handles(string[] args) => args.Length > 0 && args[0] == "merchants";

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var name = new Option<string>("--name") { Description = "The business's display name.", Required = true };
        var live = new Option<bool>("--live") { Description = "Issue live keys instead of test keys." };
        var create = new Command("create", "Create a business and print its API keys (shown once, stored only as hashes).") { name, live };
        create.SetAction((parse, cancellationToken) => WithCluster(configuration, output, error, async grains =>
        {
            var businessId = "biz_" + Guid.NewGuid().ToString("N")[..16];
            var business = grains.GetGrain<IBusinessGrain>(businessId);
            await business.Register(parse.GetValue(name)!);
            var keys = await business.IssueKeys(parse.GetValue(live) ? ApiKeyMode.Live : ApiKeyMode.Test);
            await output.WriteLineAsync($"business_id: {keys.BusinessId}");
            await output.WriteLineAsync($"public_key:  {keys.PublicKey}");
            await output.WriteLineAsync($"secret_key:  {keys.SecretKey}");
            await output.WriteLineAsync("Store the secret key now: it cannot be shown again.");
            return 0;
        }, cancellationToken));

        var key = new Argument<string>("key") { Description = "The API key to revoke, or its SHA-256 hex." };
        var business = new Option<string>("--business") { Description = "The business the key belongs to.", Required = true };
        var revoke = new Command("revoke-key", "Revoke an API key at once.") { key, business };
        revoke.SetAction((parse, cancellationToken) => WithCluster(configuration, output, error, async grains =>
        {
            var given = parse.GetValue(key)!.Trim();
            var hash = given.Length == 64 && given.All(char.IsAsciiHexDigitLower) ? given : ApiKeys.Hash(given);
            var revoked = await grains.GetGrain<IBusinessGrain>(parse.GetValue(business)!).RevokeKey(hash);
            await (revoked ? output : error).WriteLineAsync(revoked ? "Revoked." : "That key is not one of this business's keys.");
            return revoked ? 0 : 1;
        }, cancellationToken));

        var url = new Option<string>("--url") { Description = "Where session webhooks are POSTed (https to a public address outside Development).", Required = true };
        var webhookBusiness = new Option<string>("--business") { Description = "The business to configure.", Required = true };
        var setWebhook = new Command("set-webhook", "Set a business's webhook URL and print its new signing secret (shown once).") { webhookBusiness, url };
        setWebhook.SetAction((parse, cancellationToken) => WithCluster(configuration, output, error, async grains =>
        {
            var result = await grains.GetGrain<IBusinessGrain>(parse.GetValue(webhookBusiness)!).ConfigureWebhook(parse.GetValue(url)!);
            if (!result.Accepted)
            {
                await error.WriteLineAsync(result.Error);
                return 1;
            }

            await output.WriteLineAsync($"webhook_secret: {result.Secret}");
            await output.WriteLineAsync("Store the secret now: it cannot be shown again. Verify the PaySessions-Signature header with it.");
            return 0;
        }, cancellationToken));

        var root = new RootCommand("PaySessions operator commands")
        {
            new Command("merchants", "Manage merchant businesses, their API keys and webhooks.") { create, revoke, setWebhook },
        };
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }

    private static async Task<int> WithCluster(
        IConfiguration configuration, TextWriter output, TextWriter error, Func<IGrainFactory, Task<int>> work, CancellationToken cancellationToken)
    {
        using var logs = LoggerFactory.Create(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        DatabaseBootstrap database;
        try
        {
            database = await DatabaseBootstrap.OpenAsync(configuration, logs.CreateLogger("PaySessions.Database"), cancellationToken);
        }
        catch (DatabaseUnavailableException e)
        {
            await error.WriteLineAsync(e.Message);
            return 1;
        }

        await using (database)
        {
            var settings = configuration.GetSection(ClusterSettings.Section).Get<ClusterSettings>() ?? new ClusterSettings();
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.UseOrleansClient(client => client
                .UseAdoNetClustering(options =>
                {
                    options.Invariant = OrleansSetup.Invariant;
                    options.ConnectionString = database.ConnectionString;
                })
                .Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = settings.ClusterId;
                    options.ServiceId = settings.ServiceId;
                }));
            using var host = builder.Build();
            try
            {
                await host.StartAsync(cancellationToken);
            }
            catch (Exception e) when (e is OrleansException or SiloUnavailableException or Orleans.Runtime.Messaging.ConnectionFailedException)
            {
                await error.WriteLineAsync(
                    $"No PaySessions silo of cluster '{settings.ClusterId}' is running on this database: start `dotnet run --project Silo` first, then run this again.");
                return 1;
            }

            try
            {
                return await work(host.Services.GetRequiredService<IGrainFactory>());
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
        }
    }
}
