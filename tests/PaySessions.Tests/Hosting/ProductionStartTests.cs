using System.Diagnostics;
using PaySessions.Silo.Hosting;

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
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PaySessions.Silo.dll"));
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            // Nothing inherited from the test run may name an environment, a database or a setting.
            foreach (var name in start.Environment.Keys
                .Where(k => k is "ASPNETCORE_ENVIRONMENT" or "DOTNET_ENVIRONMENT"
                    || k.StartsWith("ConnectionStrings", StringComparison.OrdinalIgnoreCase)
                    || k.StartsWith("PaySessions", StringComparison.OrdinalIgnoreCase))
                .ToList())
            {
                start.Environment.Remove(name);
            }

            if (environmentVariable is not null)
            {
                start.Environment[environmentVariable] = "Production";
            }

            // Where a local PostgreSQL would go if the process wrongly started one.
            start.Environment["PaySessions__LocalDatabase__DataDirectory"] = dataDirectory;

            var (code, error) = await RunToExit(start);

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

    private static async Task<(int Code, string Error)> RunToExit(ProcessStartInfo start)
    {
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();

        // Not a timing assertion: a process that wrongly starts serving would never exit by itself.
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(giveUp.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"The process did not exit by itself. Output: {await output} Error: {await error}");
        }

        await output;
        return (process.ExitCode, await error);
    }
}
