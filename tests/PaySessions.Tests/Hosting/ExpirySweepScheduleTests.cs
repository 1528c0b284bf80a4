using Npgsql;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>When the sweep runs in a whole host: its reminder is the durable schedule, and between ticks the active sweeper polls.</summary>
public sealed class ExpirySweepScheduleTests
{
    [Fact]
    public async Task A_scheduled_sweeper_expires_sessions_between_reminder_ticks()
    {
        // The reminder would first tick ten minutes after start: only the sweeper's own timer,
        // polling every second, can expire this session within the wait.
        await using var host = await TestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["PaySessions:Sessions:ExpirySweepPeriod"] = "00:10:00",
            ["PaySessions:Sessions:ExpirySweepInterval"] = "00:00:01",
        });
        var id = TestSessions.NewId();
        var created = await host.Grains.GetGrain<IPaymentSessionGrain>(id)
            .Create(TestSessions.Command(TestSessions.NewBusiness(), expiresIn: TimeSpan.FromSeconds(2)));
        Assert.True(created.IsCreated);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var status = await ProjectedStatus(host, id);
        while (status != "expired" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            status = await ProjectedStatus(host, id);
        }

        Assert.Equal("expired", status);
    }

    private static async Task<string> ProjectedStatus(TestHost host, string id)
    {
        await using var db = NpgsqlDataSource.Create(host.ConnectionString);
        await using var command = db.CreateCommand("SELECT status FROM sessions WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
