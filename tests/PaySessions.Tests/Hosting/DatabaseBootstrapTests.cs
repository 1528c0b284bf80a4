using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PaySessions.Silo.Development;
using PaySessions.Silo.Hosting;

namespace PaySessions.Tests.Hosting;

public sealed class DatabaseBootstrapTests
{
    private static readonly HostingEnvironment Development = new() { EnvironmentName = Environments.Development };

    [Fact]
    public async Task In_Development_without_a_connection_string_a_local_database_starts_and_keeps_its_data_across_restarts()
    {
        var directory = Path.Combine(Path.GetTempPath(), "paysessions-bootstrap-" + Guid.NewGuid().ToString("N")[..8], "postgres");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [DevelopmentDatabase.DataDirectoryKey] = directory })
            .Build();
        try
        {
            await using (var first = await DatabaseBootstrap.OpenAsync(configuration, Development, NullLogger.Instance))
            {
                await Execute(first.ConnectionString, "CREATE TABLE kept (value text); INSERT INTO kept VALUES ('still here')");
            }

            await using var second = await DatabaseBootstrap.OpenAsync(configuration, Development, NullLogger.Instance);
            await using var db = NpgsqlDataSource.Create(second.ConnectionString);
            await using var read = db.CreateCommand("SELECT value FROM kept");
            Assert.Equal("still here", await read.ExecuteScalarAsync());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
        }
    }

    [Fact]
    public async Task An_unreachable_configured_database_fails_with_one_sentence_naming_the_setting()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:PaySessions"] = "Host=127.0.0.1;Port=1;Username=postgres;Database=paysessions;Timeout=2",
            })
            .Build();

        var error = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => DatabaseBootstrap.OpenAsync(configuration, Development, NullLogger.Instance));

        Assert.Contains("ConnectionStrings:PaySessions", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Outside_Development_without_a_connection_string_it_refuses_and_starts_no_database(string environment)
    {
        var directory = Path.Combine(Path.GetTempPath(), "paysessions-bootstrap-" + Guid.NewGuid().ToString("N")[..8], "postgres");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [DevelopmentDatabase.DataDirectoryKey] = directory })
            .Build();

        var error = await Assert.ThrowsAsync<DatabaseUnavailableException>(() =>
            DatabaseBootstrap.OpenAsync(configuration, new HostingEnvironment { EnvironmentName = environment }, NullLogger.Instance));

        Assert.Equal(DatabaseBootstrap.MissingConnectionString(environment), error.Message);
        Assert.Contains("ConnectionStrings__PaySessions", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(directory)));
    }

    private static async Task Execute(string connectionString, string sql)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
