using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PaySessions.Silo.Development;

namespace PaySessions.Tests.Hosting;

/// <summary>
/// The Development PostgreSQL keeps its port per data folder, so a connection string written down
/// for a second node still works after the first node restarted the server.
/// </summary>
public sealed class LocalPostgresPortTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"paysessions-tests-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the next run's clean-up (see TestDatabase).
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_restarted_server_listens_on_the_port_it_had_and_a_taken_port_is_replaced_and_remembered()
    {
        var first = await LocalPostgres.StartAsync(_directory, NullLogger.Instance);
        var port = PortOf(first);
        await first.StopAsync(immediate: true);

        var second = await LocalPostgres.StartAsync(_directory, NullLogger.Instance);
        Assert.Equal(port, PortOf(second));
        // The connection string of the first start reaches the restarted server.
        await using (var connection = new NpgsqlConnection(first.ConnectionString))
        {
            await connection.OpenAsync();
        }

        await second.StopAsync(immediate: true);

        using (var squatter = new TcpListener(IPAddress.Loopback, port))
        {
            squatter.Start();
            var third = await LocalPostgres.StartAsync(_directory, NullLogger.Instance);
            var moved = PortOf(third);
            Assert.NotEqual(port, moved);
            Assert.Equal(moved.ToString(System.Globalization.CultureInfo.InvariantCulture), (await File.ReadAllTextAsync(Path.Combine(third.DataDirectory, LocalPostgres.PortFile))).Trim());
            await third.StopAsync(immediate: true);
        }
    }

    private static int PortOf(LocalPostgres server) => new NpgsqlConnectionStringBuilder(server.ConnectionString).Port;
}
