using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Webhooks;
using PaySessions.Tests.Infrastructure;
using StandardWebhooks;

namespace PaySessions.Tests.Webhooks;

/// <summary>
/// The dispatcher's pace and lanes on a real host (its own database, a ceiling of 20 requests a
/// second in claims of 5) with a loopback receiver: a burst of outbox rows, queued the way the
/// event store queues them, is delivered completely, signed as always, and never faster than the
/// ceiling allows as the receiver's own clock sees it; a payment's webhook queued behind a mass of
/// expiry notices goes out with the next claim; a flood of events still leaves a claim room for a
/// notice; and only notices wait for the pace. Counts and order only: nothing here asserts how long anything took.
/// </summary>
public sealed class WebhookPacingTests(WebhookPacingTests.PacedHost paced) : IClassFixture<WebhookPacingTests.PacedHost>
{
    private const int PerSecond = 20;
    private const int Batch = 5;
    private static readonly TimeSpan Within = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_burst_is_delivered_completely_and_signed_and_no_window_of_the_receivers_clock_sees_more_than_the_ceiling_allows()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (businessId, secret) = await paced.Business(receiver.Url);

        var queued = await paced.Queue(businessId, PayvioxWebhookEvents.Expired, 60);
        var received = await receiver.WaitFor(d => d.Count >= 60, Within);
        await paced.WaitDelivered(queued);

        // Every row once, none other, each verifiable with the business's secret.
        Assert.Equal(queued.Select(StandardWebhookSignature.IdOf).Order(), received.Select(d => d.WebhookId).Order());
        var verifier = new StandardWebhook(StandardWebhookSignature.LibrarySecret(secret));
        Assert.All(received, d => verifier.Verify(d.Body, d.Headers!));

        // At most a full bucket (a claim of 5) plus 20 a second, plus one claim that may reach the
        // receiver late and bunched with the next. Unpaced, 60 local requests land in far less than 2 s.
        var times = received.Select(d => d.ReceivedAt).Order().ToList();
        var window = TimeSpan.FromSeconds(2);
        var allowed = Batch + (PerSecond * window.TotalSeconds) + Batch;
        for (var i = 0; i < times.Count; i++)
        {
            var inWindow = times.Skip(i).TakeWhile(t => t - times[i] <= window).Count();
            Assert.True(inWindow <= allowed, $"{inWindow} deliveries within {window.TotalSeconds} s from the {i + 1}th (allowed {allowed})");
        }
    }

    [Fact]
    public async Task A_payments_webhook_queued_behind_a_mass_of_expiry_notices_goes_out_with_the_next_claim_and_every_notice_still_arrives()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (businessId, _) = await paced.Business(receiver.Url);

        var notices = await paced.Queue(businessId, PayvioxWebhookEvents.Expired, 40);
        await receiver.WaitFor(d => d.Count >= Batch, Within);
        var before = receiver.Deliveries.Count;
        var completion = Assert.Single(await paced.Queue(businessId, PayvioxWebhookEvents.Succeeded, 1));
        var received = await receiver.WaitFor(d => d.Count >= 41, Within);
        await paced.WaitDelivered([.. notices, completion]);

        // In order of arrival: at most the claim out when it was queued and one more come before it
        // (without the lanes it would wait for the 40 notices queued before it).
        var position = received.ToList().FindIndex(d => d.WebhookId == StandardWebhookSignature.IdOf(completion)) + 1;
        Assert.InRange(position, 1, before + (2 * Batch));
        Assert.Equal(notices.Append(completion).Select(StandardWebhookSignature.IdOf).Order(), received.Select(d => d.WebhookId).Order());
    }

    [Fact]
    public async Task A_flood_of_events_leaves_every_claim_room_for_an_expiry_notice()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (businessId, _) = await paced.Business(receiver.Url);

        // Queued in one transaction (no claim can come between them): the notices due first, then 30 events.
        var queued = await paced.Queue(businessId, (PayvioxWebhookEvents.Expired, 10), (PayvioxWebhookEvents.Succeeded, 30));
        var (notices, events) = (queued[0], queued[1]);
        var received = await receiver.WaitFor(d => d.Count >= 40, Within);
        await paced.WaitDelivered([.. notices, .. events]);

        var noticeIds = notices.Select(StandardWebhookSignature.IdOf).ToHashSet();
        var order = received.Select(d => d.WebhookId).ToList();
        Assert.Equal(noticeIds.Concat(events.Select(StandardWebhookSignature.IdOf)).Order(), order.Order());

        // One in five of a claim is kept for the notices whenever the pace allows any: a notice is
        // in the first claim although 30 events are due with it. (Events are unpaced, so the claims
        // that come while the pace is spent take events only.)
        Assert.InRange(order.FindIndex(noticeIds.Contains) + 1, 1, Batch);
    }

    [Fact]
    public async Task Only_expiry_notices_wait_for_the_pace_a_claim_with_no_notice_allowance_still_takes_every_due_event()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (businessId, _) = await paced.Business(receiver.Url);
        // Due an hour from now, so the host's own dispatcher leaves them; claimed here as if two hours had passed.
        var queued = await paced.Queue(businessId, TimeSpan.FromHours(1), (PayvioxWebhookEvents.Expired, 6), (PayvioxWebhookEvents.Succeeded, 3), (PayvioxWebhookEvents.Expired, 6));
        var notices = queued[0].Concat(queued[2]).ToHashSet();
        var outbox = new PostgresWebhookOutbox(paced.DataSource);
        var later = DateTimeOffset.UtcNow.AddHours(2);

        // No notice allowed (the pace is spent): the events, however many notices are due before them.
        var eventsOnly = await outbox.ClaimDueAsync(later, TimeSpan.FromMinutes(5), 10, 0, CancellationToken.None);
        Assert.Equal(queued[1].Order(), eventsOnly.Select(c => c.EventId).Order());

        // Two allowed: two notices, the oldest due, and no more however much room the claim has.
        var twoNotices = await outbox.ClaimDueAsync(later, TimeSpan.FromMinutes(5), 10, 2, CancellationToken.None);
        Assert.Equal(queued[0].Take(2).Order(), twoNotices.Select(c => c.EventId).Order());
        Assert.All(twoNotices, c => Assert.True(PostgresWebhookOutbox.IsNotice(c.Type)));
        Assert.All(twoNotices, c => Assert.Contains(c.EventId, notices));
    }

    /// <summary>One host for the class, paced slowly enough that the order of claims shows.</summary>
    public sealed class PacedHost : IAsyncLifetime
    {
        private readonly ApiFixture _api = new();

        public Task InitializeAsync() => _api.InitializeWith(new Dictionary<string, string?>(TestMerchants.FastRetries())
        {
            [$"{WebhookOptions.Section}:MaxExpiryNoticesPerSecond"] = PerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"{WebhookOptions.Section}:BatchSize"] = Batch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        public async Task DisposeAsync()
        {
            if (_dataSource is not null)
            {
                await _dataSource.DisposeAsync();
            }

            await _api.DisposeAsync();
        }

        private NpgsqlDataSource? _dataSource;

        public NpgsqlDataSource DataSource => _dataSource ??= NpgsqlDataSource.Create(_api.Host.ConnectionString);

        public async Task<(string BusinessId, string Secret)> Business(string url)
        {
            var keys = await _api.NewBusiness("Paced Shop");
            var secret = await _api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).ReceiveWebhooks(url);
            return (keys.BusinessId, secret);
        }

        public async Task<IReadOnlyList<Guid>> Queue(string businessId, string type, int count) =>
            (await Queue(businessId, (type, count)))[0];

        /// <summary>
        /// Queues due deliveries of each type, in one transaction, as the event store queues a
        /// session event's webhook (no subscription: always sent), one after another in due time.
        /// </summary>
        public Task<IReadOnlyList<IReadOnlyList<Guid>>> Queue(string businessId, params (string Type, int Count)[] batches) =>
            Queue(businessId, TimeSpan.Zero, batches);

        /// <summary>The same, due <paramref name="dueIn"/> from now.</summary>
        public async Task<IReadOnlyList<IReadOnlyList<Guid>>> Queue(string businessId, TimeSpan dueIn, params (string Type, int Count)[] batches)
        {
            await using var db = NpgsqlDataSource.Create(_api.Host.ConnectionString);
            await using var connection = await db.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var queued = new List<IReadOnlyList<Guid>>();
            var offset = 0;
            foreach (var (type, count) in batches)
            {
                await using var command = new NpgsqlCommand("""
                    INSERT INTO webhook_deliveries (event_id, session_id, business_id, type, sequence, payload, next_attempt_at, created_at)
                    SELECT gen_random_uuid(), 'sess_paced_' || i, $1, $2, 1, json_build_object('type', $2::text, 'n', i),
                           now() + $5 + ($4 + i) * interval '1 microsecond', now()
                    FROM generate_series(1, $3) AS i
                    RETURNING event_id
                    """, connection, transaction);
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = type });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = offset });
                command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = dueIn });
                await using var reader = await command.ExecuteReaderAsync();
                var ids = new List<Guid>();
                while (await reader.ReadAsync())
                {
                    ids.Add(reader.GetGuid(0));
                }

                queued.Add(ids);
                offset += count;
            }

            await transaction.CommitAsync();
            return queued;
        }

        /// <summary>Waits until the outbox records every one delivered, with one attempt each.</summary>
        public async Task WaitDelivered(IReadOnlyList<Guid> ids)
        {
            await using var db = NpgsqlDataSource.Create(_api.Host.ConnectionString);
            var delivered = await Eventually.Read(
                async () =>
                {
                    await using var command = db.CreateCommand(
                        "SELECT count(*) FROM webhook_deliveries WHERE event_id = ANY($1) AND status = 'delivered' AND attempts = 1");
                    command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. ids] });
                    return (long)(await command.ExecuteScalarAsync())!;
                },
                count => count == ids.Count,
                Within);
            Assert.Equal(ids.Count, delivered);
        }
    }
}
