using System.Net;
using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>Whole hosts, as <c>dotnet run --project Silo</c> builds them, on the run's PostgreSQL.</summary>
public sealed class SiloHostTests
{
    [Fact]
    public async Task A_running_host_is_live_and_ready()
    {
        await using var host = await TestHost.StartAsync();

        var live = await host.Http.GetAsync(new Uri("/health/live", UriKind.Relative));
        var ready = await host.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_running_silo_has_an_active_row_in_the_membership_table()
    {
        await using var host = await TestHost.StartAsync();

        var rows = await Query(
            host.Identity, "SELECT status, proxy_port FROM orleans_membership WHERE deployment_id = $1",
            host.Identity.ClusterId,
            reader => (Status: reader.GetInt32(0), Gateway: reader.GetInt32(1)));

        var row = Assert.Single(rows);
        Assert.Equal(3, row.Status);
        Assert.True(row.Gateway > 0);
    }

    [Fact]
    public async Task Grain_state_written_by_one_host_is_read_back_by_a_freshly_started_one()
    {
        var identity = ClusterIdentity.New();
        var business = TestSessions.NewBusiness();
        BusinessProfile written;
        await using (var first = await TestHost.StartAsync(identity))
        {
            written = await first.Grains.GetGrain<IBusinessGrain>(business).Register("Acme");
        }

        await using var second = await TestHost.StartAsync(identity);
        var read = await second.Grains.GetGrain<IBusinessGrain>(business).GetProfile();

        Assert.Equivalent(written, read, strict: true);
        Assert.Single(await Query(
            identity, "SELECT version FROM orleans_storage WHERE service_id = $1 AND grain_id_extension_string = $2",
            [identity.ServiceId, business],
            reader => reader.GetInt32(0)));
    }

    [Fact]
    public async Task A_new_host_on_the_same_database_reads_back_an_identical_session_and_log()
    {
        var identity = ClusterIdentity.New();
        var id = TestSessions.NewId();
        PaymentSessionSnapshot created;
        IReadOnlyList<SessionEventRecord> log;
        await using (var first = await TestHost.StartAsync(identity))
        {
            var grain = first.Grains.GetGrain<IPaymentSessionGrain>(id);
            created = (await grain.Create(TestSessions.Command(TestSessions.NewBusiness()))).Session!;
            log = await grain.GetEvents();
        }

        await using var second = await TestHost.StartAsync(identity);
        var again = second.Grains.GetGrain<IPaymentSessionGrain>(id);

        Assert.Equivalent(created, await again.GetSnapshot(), strict: true);
        Assert.Equivalent(log, await again.GetEvents(), strict: true);
    }

    [Fact]
    public async Task The_expiry_sweep_reminder_survives_its_silo_and_expires_sessions_on_the_next_one()
    {
        var identity = ClusterIdentity.New();
        var settings = new Dictionary<string, string?> { ["PaySessions:Sessions:ExpirySweepPeriod"] = "00:00:02" };
        var id = TestSessions.NewId();
        await using (var first = await TestHost.StartAsync(identity, settings))
        {
            var result = await first.Grains.GetGrain<IPaymentSessionGrain>(id)
                .Create(TestSessions.Command(TestSessions.NewBusiness(), expiresIn: TimeSpan.FromSeconds(6)));
            Assert.True(result.IsCreated);
        }

        const string reminderSql = "SELECT version FROM orleans_reminders WHERE service_id = $1 AND reminder_name = 'expiry-sweep'";
        var written = Assert.Single(await Query(identity, reminderSql, identity.ServiceId, reader => reader.GetInt32(0)));
        Assert.Equal("created", await ProjectedStatus(identity, id));

        // The session is never touched again: only the sweep, fired by the reminder the first
        // silo registered, can expire it (the second silo finds the reminder and leaves it as is).
        await using var second = await TestHost.StartAsync(identity, settings);
        var status = await Eventually.Read(() => ProjectedStatus(identity, id), s => s == "expired", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(250));

        Assert.Equal("expired", status);
        Assert.Equal(written, Assert.Single(await Query(identity, reminderSql, identity.ServiceId, reader => reader.GetInt32(0))));
    }

    [Fact]
    public async Task A_changed_expiry_sweep_period_replaces_the_reminder_at_the_next_start()
    {
        var identity = ClusterIdentity.New();
        const string periodSql = "SELECT period FROM orleans_reminders WHERE service_id = $1 AND reminder_name = 'expiry-sweep'";
        static Dictionary<string, string?> Period(string period) => new() { ["PaySessions:Sessions:ExpirySweepPeriod"] = period };

        await using (await TestHost.StartAsync(identity, Period("00:02:00")))
        {
            Assert.Equal(120_000, Assert.Single(await Query(identity, periodSql, identity.ServiceId, reader => reader.GetInt64(0))));
        }

        await using (await TestHost.StartAsync(identity, Period("00:03:00")))
        {
            Assert.Equal(180_000, Assert.Single(await Query(identity, periodSql, identity.ServiceId, reader => reader.GetInt64(0))));
        }
    }

    private static async Task<string> ProjectedStatus(ClusterIdentity identity, string sessionId) =>
        Assert.Single(await Query(identity, "SELECT status FROM sessions WHERE session_id = $1", sessionId, reader => reader.GetString(0)));

    private static Task<List<T>> Query<T>(ClusterIdentity identity, string sql, string parameter, Func<NpgsqlDataReader, T> map) =>
        Query(identity, sql, [parameter], map);

    private static async Task<List<T>> Query<T>(ClusterIdentity identity, string sql, string[] parameters, Func<NpgsqlDataReader, T> map)
    {
        await using var db = await TestDatabase.OpenAsync(identity.Database);
        await using var command = db.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = parameter });
        }

        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(map(reader));
        }

        return rows;
    }
}
