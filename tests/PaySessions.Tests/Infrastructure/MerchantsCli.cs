using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using PaySessions.Silo.Merchants;

namespace PaySessions.Tests.Infrastructure;

/// <summary><c>dotnet run --project Silo -- merchants …</c> against a test host's cluster and database, as an operator runs it.</summary>
public static class MerchantsCli
{
    /// <summary>The exit code, and what the command wrote (standard output, then standard error).</summary>
    public static async Task<(int Code, string Output)> Run(TestHost host, params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:PaySessions"] = host.ConnectionString,
            ["PaySessions:Cluster:ClusterId"] = host.Identity.ClusterId,
            ["PaySessions:Cluster:ServiceId"] = host.Identity.ServiceId,
        }).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();

        // Production: given a connection string, the commands need nothing of Development.
        var production = new HostingEnvironment { EnvironmentName = Environments.Production };
        var code = await MerchantsCommand.RunAsync(args, configuration, production, output, error);
        return (code, output + error.ToString());
    }
}
