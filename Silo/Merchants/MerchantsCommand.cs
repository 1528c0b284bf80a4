using System.CommandLine;
using Orleans.Configuration;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Silo.Hosting;

namespace PaySessions.Silo.Merchants;

/// <summary>
/// <c>dotnet run --project Silo -- merchants …</c>: operator commands, run as an Orleans client of
/// the cluster on the configured database, so the business grains stay the only writers. The
/// database is found as the silo finds it: outside Development only from the connection string.
/// </summary>
public static class MerchantsCommand
{
    public static bool Handles(string[] args) => args.Length > 0 && args[0] == "merchants";

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, IHostEnvironment environment, TextWriter output, TextWriter error)
    {
        var name = new Option<string>("--name") { Description = "The business's display name.", Required = true };
        var live = new Option<bool>("--live") { Description = "Issue live keys instead of test keys." };
        var parent = new Option<string?>("--parent") { Description = "Create the business as a sub-account of this business id (one level deep)." };
        var create = new Command(
            "create", "Create a business and print its API keys and callback token (shown once; keys stored only as hashes, the token encrypted).")
        {
            name, live, parent,
        };
        create.SetAction((parse, cancellationToken) => WithCluster(configuration, environment, output, error, async grains =>
        {
            var businessId = "biz_" + Guid.NewGuid().ToString("N")[..16];
            var business = grains.GetGrain<IBusinessGrain>(businessId);
            if (parse.GetValue(parent) is { Length: > 0 } parentId)
            {
                var registration = await business.RegisterSubAccount(parse.GetValue(name)!, parentId.Trim());
                if (!registration.Accepted)
                {
                    await error.WriteLineAsync(registration.Error);
                    return 1;
                }
            }
            else
            {
                await business.Register(parse.GetValue(name)!);
            }

            var keys = await business.IssueKeys(parse.GetValue(live) ? ApiKeyMode.Live : ApiKeyMode.Test);
            var token = await business.RotateCallbackToken();
            await output.WriteLineAsync($"business_id: {keys.BusinessId}");
            if (parse.GetValue(parent) is { Length: > 0 })
            {
                await output.WriteLineAsync($"parent:      {parse.GetValue(parent)!.Trim()}");
            }

            await output.WriteLineAsync($"public_key:  {keys.PublicKey}");
            await output.WriteLineAsync($"secret_key:  {keys.SecretKey}");
            await output.WriteLineAsync($"callback_token: {token.Token}");
            await output.WriteLineAsync("Store the secret key and the callback token now: they cannot be shown again.");
            return 0;
        }, cancellationToken));

        var tokenBusiness = new Argument<string>("business") { Description = "The business id (biz_…)." };
        var rotateToken = new Command(
            "rotate-callback-token", "Issue a new x-callback-token for a business and print it once; the old one is no longer sent.")
        {
            tokenBusiness,
        };
        rotateToken.SetAction((parse, cancellationToken) => WithCluster(configuration, environment, output, error, async grains =>
        {
            var result = await grains.GetGrain<IBusinessGrain>(parse.GetValue(tokenBusiness)!).RotateCallbackToken();
            if (!result.Accepted)
            {
                await error.WriteLineAsync(result.Error);
                return 1;
            }

            await output.WriteLineAsync($"callback_token: {result.Token}");
            await output.WriteLineAsync("Store the token now: it cannot be shown again. Webhooks carry it in the x-callback-token header.");
            return 0;
        }, cancellationToken));

        var key = new Argument<string>("key") { Description = "The API key to revoke, or its SHA-256 hex." };
        var business = new Option<string>("--business") { Description = "The business the key belongs to.", Required = true };
        var revoke = new Command("revoke-key", "Revoke an API key at once.") { key, business };
        revoke.SetAction((parse, cancellationToken) => WithCluster(configuration, environment, output, error, async grains =>
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
        setWebhook.SetAction((parse, cancellationToken) => WithCluster(configuration, environment, output, error, async grains =>
        {
            var result = await grains.GetGrain<IBusinessGrain>(parse.GetValue(webhookBusiness)!).ConfigureWebhook(parse.GetValue(url)!);
            if (!result.Accepted)
            {
                await error.WriteLineAsync(result.Error);
                return 1;
            }

            await output.WriteLineAsync($"webhook_secret: {result.Secret}");
            await output.WriteLineAsync($"standard_webhooks_secret: {Grains.Webhooks.StandardWebhookSignature.LibrarySecret(result.Secret!)}");
            await output.WriteLineAsync(
                "Store the secret now: it cannot be shown again. Verify the PaySessions-Signature and Signature headers with webhook_secret, "
                + "and webhook-signature with a Standard Webhooks library given standard_webhooks_secret (the same key, base64-encoded).");
            return 0;
        }, cancellationToken));

        var eventsBusiness = new Argument<string>("business") { Description = "The business id (biz_…)." };
        var eventTypes = new Argument<string[]>("types")
        {
            Description = $"Webhook event types, comma- or space-separated: {string.Join(", ", Grains.Webhooks.PayvioxWebhookEvents.All)}.",
            Arity = ArgumentArity.OneOrMore,
        };
        var setWebhookEvents = new Command(
            "set-webhook-events", "Choose which webhook event types a business receives (Payviox-style sessions; a new business gets succeeded only).")
        {
            eventsBusiness, eventTypes,
        };
        setWebhookEvents.SetAction((parse, cancellationToken) => WithCluster(configuration, environment, output, error, async grains =>
        {
            var businessId = parse.GetValue(eventsBusiness)!;
            var result = await grains.GetGrain<IBusinessGrain>(businessId).SetWebhookEvents(parse.GetValue(eventTypes)!);
            if (!result.Accepted)
            {
                await error.WriteLineAsync(result.Error);
                return 1;
            }

            await output.WriteLineAsync($"{businessId} webhook events: {string.Join(", ", result.Events!)}");
            return 0;
        }, cancellationToken));

        var policyBusiness = new Argument<string>("business") { Description = "The business id (biz_…)." };
        var policy = new Argument<string>("policy") { Description = "refund (the default: the provider is asked to give the money back), accept (the session completes late) or manual (flagged for an operator)." };
        var setLatePaymentPolicy = new Command(
            "set-late-payment-policy", "Choose what is done with money a provider reports after a session ended: refund, accept or manual.")
        {
            policyBusiness, policy,
        };
        setLatePaymentPolicy.SetAction(async (parse, cancellationToken) =>
        {
            if (!LatePaymentPolicies.TryParse(parse.GetValue(policy), out var chosen))
            {
                await error.WriteLineAsync($"Unknown late-payment policy '{parse.GetValue(policy)}': expected refund, accept or manual.");
                return 1;
            }

            return await WithCluster(configuration, environment, output, error, async grains =>
            {
                var businessId = parse.GetValue(policyBusiness)!;
                var result = await grains.GetGrain<IBusinessGrain>(businessId).SetLatePaymentPolicy(chosen);
                if (!result.Accepted)
                {
                    await error.WriteLineAsync(result.Error);
                    return 1;
                }

                await output.WriteLineAsync($"{businessId} late payments: {LatePaymentPolicies.Name(result.Policy)}");
                return 0;
            }, cancellationToken);
        });

        var enable = MethodsCommand(
            "enable-methods", "Enable catalogue payment methods for a business (their provider must be configured).",
            configuration, environment, output, error, (business, ids) => business.EnableMethods(ids));
        var disable = MethodsCommand(
            "disable-methods", "Disable payment methods for a business.",
            configuration, environment, output, error, (business, ids) => business.DisableMethods(ids));

        var returnBusiness = new Argument<string>("business") { Description = "The business id (biz_…)." };
        var returnUrl = new Argument<string?>("url")
        {
            Description = "Where the hosted page sends a customer after a completed payment (https; session_id is added to its query).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var noReturnUrl = new Option<bool>("--none") { Description = "Clear the return URL: the customer stays on the hosted page." };
        var setReturnUrl = new Command(
            "set-return-url", "Set where the hosted page sends a customer after a completed Payviox-style payment.")
        {
            returnBusiness, returnUrl, noReturnUrl,
        };
        setReturnUrl.SetAction((parse, cancellationToken) => ShopSetting(
            configuration, environment, output, error, parse.GetValue(returnBusiness)!, parse.GetValue(returnUrl), parse.GetValue(noReturnUrl), "a return URL",
            (business, given) => business.SetReturnUrl(given), change => $"return_url: {change.ReturnUrl ?? "(none)"}", cancellationToken));

        var frameBusiness = new Argument<string>("business") { Description = "The business id (biz_…)." };
        var frameOrigins = new Argument<string?>("origins")
        {
            Description = "Comma-separated origins (scheme://host[:port]) allowed to frame the hosted page, e.g. https://shop.example,https://www.shop.example.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var noFrameOrigins = new Option<bool>("--none") { Description = "Allow no origin: the hosted page may not be framed (the default)." };
        var setFrameOrigins = new Command(
            "set-frame-origins", "Set the origins allowed to show the hosted page in an iframe (all or nothing).")
        {
            frameBusiness, frameOrigins, noFrameOrigins,
        };
        setFrameOrigins.SetAction((parse, cancellationToken) => ShopSetting(
            configuration, environment, output, error, parse.GetValue(frameBusiness)!, parse.GetValue(frameOrigins), parse.GetValue(noFrameOrigins), "origins",
            (business, given) => business.SetFrameOrigins(given is null ? [] : [.. given.Split(',').Select(o => o.Trim())]),
            change => $"frame_origins: {(change.FrameOrigins.Count == 0 ? "(none)" : string.Join(",", change.FrameOrigins))}", cancellationToken));

        var list = new Command("list", "List every business: id, name, created, enabled methods and key prefixes (never a key or secret).");
        list.SetAction((parse, cancellationToken) => WithCluster(configuration, environment, output, error, async (grains, connectionString) =>
        {
            await using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);
            foreach (var id in await new PostgresBusinessDirectory(dataSource).ListAsync(cancellationToken))
            {
                if (await grains.GetGrain<IBusinessGrain>(id).GetProfile() is { } profile)
                {
                    await WriteBusiness(output, profile);
                }
            }

            return 0;
        }, cancellationToken));

        var root = new RootCommand("PaySessions operator commands")
        {
            new Command("merchants", "Manage merchant businesses, their API keys, payment methods and webhooks.")
            {
                create, list, enable, disable, revoke, setWebhook, setWebhookEvents, rotateToken, setReturnUrl, setFrameOrigins, setLatePaymentPolicy,
            },
        };
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }

    // One line on stdout when accepted, one line on stderr and exit code 1 when not: the value, or
    // --none to clear it, never both and never neither (an empty value is a typo, not a clear).
    private static async Task<int> ShopSetting(
        IConfiguration configuration, IHostEnvironment environment, TextWriter output, TextWriter error, string businessId, string? given, bool none, string what,
        Func<IBusinessGrain, string?, Task<ShopSettingChange>> change, Func<ShopSettingChange, string> describe, CancellationToken cancellationToken)
    {
        if (none == given is not null || (given is not null && string.IsNullOrWhiteSpace(given)))
        {
            await error.WriteLineAsync(none ? $"Give either {what} or --none, not both." : $"Give {what}, or --none to clear.");
            return 1;
        }

        return await WithCluster(configuration, environment, output, error, async grains =>
        {
            var result = await change(grains.GetGrain<IBusinessGrain>(businessId), given);
            if (!result.Accepted)
            {
                await error.WriteLineAsync(result.Error);
                return 1;
            }

            await output.WriteLineAsync(describe(result));
            return 0;
        }, cancellationToken);
    }

    private static Command MethodsCommand(
        string name, string description, IConfiguration configuration, IHostEnvironment environment, TextWriter output, TextWriter error,
        Func<IBusinessGrain, IReadOnlyList<string>, Task<PaymentMethodsChange>> change)
    {
        var business = new Argument<string>("business") { Description = "The business id (biz_…)." };
        var methods = new Argument<string[]>("method") { Description = "Payment method ids from PaySessions:PaymentMethods.", Arity = ArgumentArity.OneOrMore };
        var command = new Command(name, description) { business, methods };
        command.SetAction((parse, cancellationToken) => WithCluster(configuration, environment, output, error, async grains =>
        {
            var businessId = parse.GetValue(business)!;
            var result = await change(grains.GetGrain<IBusinessGrain>(businessId), parse.GetValue(methods)!);
            if (!result.Accepted)
            {
                await error.WriteLineAsync(result.Error);
                return 1;
            }

            await output.WriteLineAsync($"{businessId} payment methods: {Methods(result.Enabled)}");
            return 0;
        }, cancellationToken));
        return command;
    }

    private static async Task WriteBusiness(TextWriter output, BusinessProfile profile)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        await output.WriteLineAsync($"{profile.BusinessId}  {profile.Name}");
        await output.WriteLineAsync($"  created:  {profile.CreatedAt.UtcDateTime.ToString("u", culture)}");
        if (profile.ParentBusinessId is { } parent)
        {
            await output.WriteLineAsync($"  parent:   {parent}");
        }

        if (profile.SubAccounts is { Count: > 0 } subAccounts)
        {
            await output.WriteLineAsync($"  subaccounts: {string.Join(", ", subAccounts)}");
        }

        await output.WriteLineAsync($"  methods:  {Methods(profile.EnabledPaymentMethods)}");
        // A business from before the choice existed has none stored and receives every type.
        await output.WriteLineAsync($"  webhook events: {(profile.WebhookEvents is { } events ? string.Join(", ", events) : "all (never chosen)")}");
        await output.WriteLineAsync($"  late payments: {LatePaymentPolicies.Name(profile.LatePaymentPolicy)}");
        if (profile.ReturnUrl is { } returnUrl)
        {
            await output.WriteLineAsync($"  return_url: {returnUrl}");
        }

        if (profile.FrameOrigins is { Count: > 0 } origins)
        {
            await output.WriteLineAsync($"  frame_origins: {string.Join(",", origins)}");
        }

        foreach (var key in profile.Keys)
        {
            // The stored prefix (first characters) and the hash revoke-key accepts: never the key.
            var state = key.RevokedAt is { } revoked ? "revoked " + revoked.UtcDateTime.ToString("u", culture) : "active";
            await output.WriteLineAsync(
                $"  key:      {key.Prefix}  {key.Kind.ToString().ToLowerInvariant()} {key.Mode.ToString().ToLowerInvariant()}  {state}  sha256 {key.Hash}");
        }
    }

    private static string Methods(IReadOnlyList<string> ids) => ids.Count == 0 ? "(none)" : string.Join(", ", ids);

    private static Task<int> WithCluster(
        IConfiguration configuration, IHostEnvironment environment, TextWriter output, TextWriter error, Func<IGrainFactory, Task<int>> work, CancellationToken cancellationToken) =>
        WithCluster(configuration, environment, output, error, (grains, _) => work(grains), cancellationToken);

    private static async Task<int> WithCluster(
        IConfiguration configuration, IHostEnvironment environment, TextWriter output, TextWriter error,
        Func<IGrainFactory, string, Task<int>> work, CancellationToken cancellationToken)
    {
        using var logs = LoggerFactory.Create(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        DatabaseBootstrap database;
        try
        {
            database = await DatabaseBootstrap.OpenAsync(configuration, environment, logs.CreateLogger("PaySessions.Database"), cancellationToken);
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
            catch (Exception e) when (e is OrleansException or SiloUnavailableException or Orleans.Runtime.Messaging.ConnectionFailedException
                or Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UndefinedTable })
            {
                // UndefinedTable: no membership table yet, because no silo has ever started on this database.
                await error.WriteLineAsync(
                    $"No PaySessions silo of cluster '{settings.ClusterId}' is running on this database: start `dotnet run --project Silo` first, then run this again.");
                return 1;
            }

            try
            {
                return await work(host.Services.GetRequiredService<IGrainFactory>(), database.ConnectionString);
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
        }
    }
}
