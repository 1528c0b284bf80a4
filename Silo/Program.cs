using PaySessions.Silo.Hosting;
using PaySessions.Silo.Merchants;

var builder = WebApplication.CreateBuilder(args);

if (MerchantsCommand.Handles(args))
{
    return await MerchantsCommand.RunAsync(args, builder.Configuration, Console.Out, Console.Error);
}

using var bootstrapLogs = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
DatabaseBootstrap database;
try
{
    database = await DatabaseBootstrap.OpenAsync(builder.Configuration, bootstrapLogs.CreateLogger("PaySessions.Database"));
}
catch (DatabaseUnavailableException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 1;
}

await using (database)
{
    var app = PaySessionsHost.Build(builder, database.ConnectionString);
    await app.RunAsync();
}

return 0;
