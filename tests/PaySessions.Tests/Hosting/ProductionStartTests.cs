using PaySessions.Silo.Hosting;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>The Silo as a real process, as <c>dotnet PaySessions.Silo.dll</c> starts it on a production node.</summary>
public sealed class ProductionStartTests
{
    public static TheoryData<string?, string[]> NonDevelopmentStarts => new()
    {
        { "ASPNETCORE_ENVIRONMENT", [] },
        { "DOTNET_ENVIRONMENT", [] },
        { null, [] }, // nothing set: ASP.NET Core's default is Production
        { "ASPNETCORE_ENVIRONMENT", ["merchants", "list"] },
    };

    [Theory]
    [MemberData(nameof(NonDevelopmentStarts))]
    public async Task Outside_Development_without_a_connection_string_the_process_exits_1_with_one_sentence_and_starts_no_database(
        string? environmentVariable, string[] args)
    {
        var workingDirectory = Directory.CreateTempSubdirectory("paysessions-production-").FullName;
        var dataDirectory = Path.Combine(workingDirectory, "would-be-postgres");
        try
        {
            var configuration = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                // Where a local PostgreSQL would go if the process wrongly started one.
                ["PaySessions:LocalDatabase:DataDirectory"] = dataDirectory,
            };
            if (environmentVariable is not null)
            {
                configuration[environmentVariable] = "Production";
            }

            var (code, _, error) = await SiloProcess.RunToExitAsync(SiloProcess.Command(null, configuration, args, workingDirectory));

            Assert.Equal(DatabaseBootstrap.MissingConnectionString("Production"), error.Trim());
            Assert.Equal(1, code);
            Assert.False(Directory.Exists(dataDirectory));
            Assert.Empty(Directory.EnumerateFileSystemEntries(workingDirectory));
        }
        finally
        {
            Directory.Delete(workingDirectory, recursive: true);
        }
    }
}
