using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PaySessions.Silo.Database;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Deploy;

/// <summary>
/// Every node migrates the schema when it starts (deploy/README.md: no migration job), so several
/// nodes starting together on an empty database must apply each script exactly once.
/// </summary>
public sealed class SchemaMigrationTests
{
    [Fact]
    public async Task Nodes_starting_together_on_an_empty_database_apply_each_script_once_and_all_start()
    {
        var database = await EmptyDatabaseAsync();

        // Not a timing assertion: without the migrator's lock, concurrent runs were seen to block
        // one another for good, and a test must end.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => DatabaseMigrator.MigrateAsync(database, NullLogger.Instance))))
            .WaitAsync(TimeSpan.FromMinutes(3));

        var scripts = typeof(DatabaseMigrator).Assembly.GetManifestResourceNames().Where(n => n.EndsWith(".sql", StringComparison.Ordinal)).ToList();
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var applied = new NpgsqlCommand("SELECT scriptname, count(*) FROM schemaversions GROUP BY scriptname", connection);
        var counts = new Dictionary<string, long>();
        await using (var reader = await applied.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                counts[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        Assert.Equal(scripts.Order(), counts.Keys.Order());
        Assert.All(counts, c => Assert.Equal(1, c.Value));

        // And a node starting later finds nothing to do.
        await DatabaseMigrator.MigrateAsync(database, NullLogger.Instance);
        await using var total = new NpgsqlCommand("SELECT count(*) FROM schemaversions", connection);
        Assert.Equal((long)scripts.Count, await total.ExecuteScalarAsync());
    }

    private static async Task<string> EmptyDatabaseAsync()
    {
        // The run's server (TestDatabase), with a database of our own made from PostgreSQL's empty template.
        var server = new NpgsqlConnectionStringBuilder(await TestDatabase.CreateAsync("deploy_migration_server_probe"));
        var name = "deploy_migration_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = name }.ConnectionString;
    }
}
