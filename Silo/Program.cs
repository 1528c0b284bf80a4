using Microsoft.Extensions.Options;
using PaySessions.Silo.Hosting;
using PaySessions.Silo.Merchants;
using PaySessions.Silo.Operations;
using PaySessions.Silo.Operators;

var builder = WebApplication.CreateBuilder(args);

if (OperatorsCommand.Handles(args))
{
    return await OperatorsCommand.RunAsync(args, Console.In, Console.Out, Console.Error);
}

if (CheckCommand.Handles(args))
{
    return await CheckCommand.RunAsync(builder.Configuration, builder.Environment, Console.Out, Console.Error);
}

if (MerchantsCommand.Handles(args))
{
    return await MerchantsCommand.RunAsync(args, builder.Configuration, builder.Environment, Console.Out, Console.Error);
}

using var bootstrapLogs = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
DatabaseBootstrap database;
try
{
    database = await DatabaseBootstrap.OpenAsync(builder.Configuration, builder.Environment, bootstrapLogs.CreateLogger("PaySessions.Database"));
}
catch (DatabaseUnavailableException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 1;
}

await using (database)
{
    var app = PaySessionsHost.Build(builder, database.ConnectionString);
    try
    {
        await app.RunAsync();
    }
    catch (OptionsValidationException e)
    {
        // A setting is missing or wrong: say which, in words, instead of a stack trace.
        await Console.Error.WriteLineAsync("PaySessions cannot start: " + string.Join(" ", e.Failures));
        return 1;
    }
}

return 0;
