using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Webhooks;

/// <summary>
/// The README's sample receiver (Python's <c>http.server</c>: HTTP/1.0, one request at a time,
/// an accept queue of five) under a burst of webhooks from one silo that sends eight at once.
/// Every attempt recorded is a request the receiver printed: none is a connection our side could
/// not use (refused while the receiver's queue was full, or a closed connection reused).
/// </summary>
public sealed class SimpleReceiverTests
{
    private const int Sessions = 60;

    // The README's receiver, on a port of the test's choosing, printing the webhook id of each POST.
    private const string Receiver = """
        import http.server, sys
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                print(self.headers["webhook-id"], flush=True)
                self.send_response(200); self.end_headers()
            def log_message(self, *args): pass
        http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
        """;

    [Fact]
    public async Task Every_recorded_attempt_reached_a_single_threaded_http_1_0_receiver_and_every_webhook_arrived()
    {
        var port = Loopback.FreePort();
        var received = new ConcurrentBag<string>();
        using var python = StartReceiver(port, received);
        try
        {
            await Eventually.Read(() => Listening(port), up => up, TimeSpan.FromSeconds(30));
            // The dispatcher looks every 3 s, so the cancellations' webhooks are claimed as one batch.
            await using var host = await TestHost.StartAsync(settings: TestMerchants.FastRetries(pollInterval: TimeSpan.FromSeconds(3)));
            var business = TestSessions.NewBusiness();
            var merchant = host.Grains.GetGrain<IBusinessGrain>(business);
            await merchant.Register("Receiver Ltd");
            await merchant.ReceiveWebhooks($"http://127.0.0.1:{port}/hooks", "session.canceled");

            // Created first, canceled together: the cancellations' webhooks fall due as one burst.
            var ids = new List<string>();
            for (var i = 0; i < Sessions; i++)
            {
                var id = TestSessions.NewId();
                Assert.True((await host.Grains.GetGrain<IPaymentSessionGrain>(id).Create(TestSessions.Command(business))).IsCreated);
                ids.Add(id);
            }

            await Task.WhenAll(ids.Select(id => host.Grains.GetGrain<IPaymentSessionGrain>(id).Cancel("test")));

            await using var database = NpgsqlDataSource.Create(host.ConnectionString);
            var (delivered, attempts, failed) = await Eventually.Read(
                () => Counts(database, business),
                c => c.Delivered == Sessions,
                TimeSpan.FromSeconds(90));

            Assert.Equal(Sessions, delivered);
            Assert.Equal(0, failed);
            Assert.Equal(Sessions, received.Distinct().Count());
            Assert.Equal(received.Count, attempts);
        }
        finally
        {
            python.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task A_connection_the_receiver_closes_before_answering_is_tried_again_within_the_attempt()
    {
        // Accepts and closes the first two connections without a byte (as a receiver with a full
        // queue, or a kept-alive connection it had closed), then answers 200 and counts requests.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var requests = 0;
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            for (var connection = 1; !stop.IsCancellationRequested; connection++)
            {
                using var client = await listener.AcceptTcpClientAsync(stop.Token);
                if (connection <= 2)
                {
                    client.Client.Close();
                    continue;
                }

                var stream = client.GetStream();
                var buffer = new byte[64 * 1024];
                var read = 0;
                while (!System.Text.Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    read += await stream.ReadAsync(buffer.AsMemory(read), stop.Token);
                }

                Interlocked.Increment(ref requests);
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), stop.Token);
            }
        });

        await using var host = await TestHost.StartAsync(settings: TestMerchants.FastRetries());
        var business = TestSessions.NewBusiness();
        var merchant = host.Grains.GetGrain<IBusinessGrain>(business);
        await merchant.Register("Closing Ltd");
        await merchant.ReceiveWebhooks($"http://127.0.0.1:{port}/hooks", "session.canceled");
        var id = TestSessions.NewId();
        Assert.True((await host.Grains.GetGrain<IPaymentSessionGrain>(id).Create(TestSessions.Command(business))).IsCreated);
        await host.Grains.GetGrain<IPaymentSessionGrain>(id).Cancel("test");

        await using var database = NpgsqlDataSource.Create(host.ConnectionString);
        var (delivered, attempts, failed) = await Eventually.Read(() => Counts(database, business), c => c.Delivered == 1, TimeSpan.FromSeconds(60));
        await stop.CancelAsync();

        Assert.Equal(1, delivered);
        Assert.True(attempts == 1, await Errors(database, business));
        Assert.Equal(0, failed);
        Assert.Equal(1, requests);
    }

    private static async Task<string> Errors(NpgsqlDataSource database, string business)
    {
        await using var command = database.CreateCommand(
            "SELECT string_agg(coalesce(a.status_code::text, '') || ' ' || coalesce(a.error, ''), '; ') FROM webhook_attempts a JOIN webhook_deliveries d USING (event_id) WHERE d.business_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = business });
        return (await command.ExecuteScalarAsync()) as string ?? "";
    }

    private static async Task<(long Delivered, long Attempts, long Failed)> Counts(NpgsqlDataSource database, string business)
    {
        await using var command = database.CreateCommand("""
            SELECT (SELECT count(*) FROM webhook_deliveries WHERE business_id = $1 AND status = 'delivered'),
                   count(*),
                   count(*) FILTER (WHERE a.status_code IS NULL OR a.status_code >= 300)
            FROM webhook_attempts a JOIN webhook_deliveries d USING (event_id)
            WHERE d.business_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = business });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private static async Task<bool> Listening(int port)
    {
        using var probe = new System.Net.Sockets.TcpClient();
        try
        {
            await probe.ConnectAsync(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static Process StartReceiver(int port, ConcurrentBag<string> received)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Receiver);
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, line) =>
        {
            if (!string.IsNullOrWhiteSpace(line.Data))
            {
                received.Add(line.Data.Trim());
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
