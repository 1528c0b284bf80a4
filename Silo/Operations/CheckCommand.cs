using Npgsql;
using PaySessions.Grains.Sessions.Xendit;
using PaySessions.Silo.Hosting;

namespace PaySessions.Silo.Operations;

/// <summary>
/// <c>dotnet run --project Silo -- check</c>: verifies the whole database against its event streams
/// (<see cref="ConsistencyCheck"/>), read-only, with nodes running or not. Prints a line per kind of
/// problem and the first problems found; exit code 0 when consistent, 1 otherwise.
/// </summary>
public static class CheckCommand
{
    public static bool Handles(string[] args) => args.Length > 0 && args[0] == "check";

    public static async Task<int> RunAsync(IConfiguration configuration, IHostEnvironment environment, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        using var logs = LoggerFactory.Create(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        DatabaseBootstrap bootstrap;
        try
        {
            bootstrap = await DatabaseBootstrap.OpenAsync(configuration, environment, logs.CreateLogger("PaySessions.Database"), cancellationToken);
        }
        catch (DatabaseUnavailableException e)
        {
            await error.WriteLineAsync(e.Message);
            return 1;
        }

        await using (bootstrap)
        {
            await using var database = NpgsqlDataSource.Create(bootstrap.ConnectionString);
            ConsistencyReport report;
            try
            {
                report = await new ConsistencyCheck(database, new PaymentLinks(configuration[PaymentLinks.PublicBaseUrlKey])).RunAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                await error.WriteLineAsync("The database has no PaySessions schema yet: start a node once to migrate it.");
                return 1;
            }

            return await Print(report, output);
        }
    }

    public static async Task<int> Print(ConsistencyReport report, TextWriter output)
    {
        await output.WriteLineAsync($"Checked {report.Streams} sessions and {report.Events} events.");
        if (report.Consistent)
        {
            await output.WriteLineAsync("Consistent: every projection row, provider reference and webhook delivery agrees with the event streams.");
            return 0;
        }

        foreach (var (kind, count) in report.ProblemsByKind)
        {
            await output.WriteLineAsync($"{kind}: {count}");
        }

        foreach (var problem in report.Problems)
        {
            await output.WriteLineAsync($"  {problem.Kind} {problem.SessionId}: {problem.Detail}");
        }

        return 1;
    }
}
