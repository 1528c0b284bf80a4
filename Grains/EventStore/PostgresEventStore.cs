using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Sessions.Xendit;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Grains.EventStore;

/// <summary>
/// Event rows in <c>session_events</c> (append-only: a trigger refuses UPDATE and DELETE) and the
/// <c>sessions</c> projection (plus the provider-reference index for PaymentInitiated and the
/// webhook outbox), written with group commit: appends queue for a writer, which commits every
/// append waiting (up to <see cref="EventStoreOptions.MaxBatchSize"/>) in one transaction. Each
/// append sits behind a savepoint of its own, so a refused append (version or order id taken)
/// rolls back alone and its neighbours commit. An append's task completes only once the
/// transaction holding it has committed; when the commit or the connection fails, every append
/// of the batch fails with that exception and none of their rows remain.
/// <para>
/// There are <see cref="EventStoreOptions.Writers"/> writers, each with a queue and a connection
/// of its own, so one batch is collected and sent while another waits for its commit. A stream
/// always goes to the same writer (by its id's hash), whose batches are written one after the
/// other: two appends of one stream are never in flight in two transactions at once, so they
/// land in the order they were made. Appends of different streams that collide on an order id
/// in two writers' transactions are told apart by PostgreSQL's unique index, which makes the
/// later one wait for the earlier's commit and then refuses it alone.
/// </para>
/// <para>
/// Bulk expiry (<see cref="ExpireDueAsync"/>) goes through the same writers, as sweep work: each
/// stream's Expired goes to the writer of that stream, so it is never in flight beside another
/// append of the same stream, and a writer takes live appends first. It writes a sweep chunk (up
/// to <see cref="EventStoreOptions.SweepChunkSize"/> expiries) only when no live append waits, or
/// once every <see cref="EventStoreOptions.LiveBatchesPerSweepChunk"/> live batches while they
/// keep coming, so a sweep neither starves nor is starved. A chunk is one set-based statement in
/// a transaction of its own: an event row is inserted only where its version is still free
/// (<c>ON CONFLICT DO NOTHING</c> on the stream's key), and the projection and outbox rows follow
/// only for the events that went in.
/// </para>
/// </summary>
public sealed class PostgresEventStore : IEventStore, IAsyncDisposable, IDisposable
{
    /// <summary>The meter the writer reports batch sizes on.</summary>
    public const string MeterName = "PaySessions.EventStore";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>
    /// Spans: <c>event_store.append</c> in the caller's trace for as long as its append waits, and
    /// <c>event_store.commit</c> for the batch's transaction (its Npgsql commands inside), a child of
    /// the first append it carries and linked to every other one: group commit shares one
    /// transaction between several traces.
    /// </summary>
    private static readonly ActivitySource Tracing = new(MeterName);
    private static readonly Histogram<int> BatchSizes = Meter.CreateHistogram<int>(
        "paysessions.event_store.batch_size", unit: "{append}", description: "Appends committed (or failed) together in one transaction.");

    private const string UniqueViolation = "23505";
    private const string StreamVersionKey = "session_events_pkey";
    private const string EventIdKey = "session_events_event_id_key";
    private const string OrderIdKey = "sessions_business_order_key";

    private const string SavepointSql = "SAVEPOINT append";
    private const string ReleaseSql = "RELEASE SAVEPOINT append";
    private const string RollbackSql = "ROLLBACK TO SAVEPOINT append";
    private const string MarkerSql = "SELECT $1";

    private const string ReadSql = """
        SELECT version, type, data::text
        FROM session_events
        WHERE stream_id = $1
        ORDER BY version
        """;

    // The events of one append, or of every append of a batch at once (see WriteAtOnceAsync).
    private const string InsertEventsSql = """
        INSERT INTO session_events (stream_id, version, event_id, type, data, occurred_at)
        SELECT e.stream_id, e.version, e.event_id, e.type, e.data::json, e.occurred_at
        FROM unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[])
            AS e(stream_id, version, event_id, type, data, occurred_at)
        """;

    // The projection of one append, or of every append of a batch at once. The projection only
    // moves forward: a row already at a newer version is left alone. Two appends of one stream in
    // one statement are an error ("cannot affect row a second time"): such a batch is written
    // append by append instead.
    private const string UpsertProjectionsSql = """
        INSERT INTO sessions (session_id, business_id, order_id, customer, status, amount, currency,
                              created_at, expires_at, version, livemode, dialect, customer_id, manual_review, updated_at)
        SELECT p.session_id, p.business_id, p.order_id, p.customer, p.status, p.amount, p.currency,
               p.created_at, p.expires_at, p.version, p.livemode, p.dialect, p.customer_id, p.manual_review, now()
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
                    $8::timestamptz[], $9::timestamptz[], $10::int[], $11::boolean[], $12::text[], $13::text[], $14::boolean[])
            AS p(session_id, business_id, order_id, customer, status, amount, currency,
                 created_at, expires_at, version, livemode, dialect, customer_id, manual_review)
        ON CONFLICT (session_id) DO UPDATE
            SET status = excluded.status,
                expires_at = excluded.expires_at,
                version = excluded.version,
                manual_review = excluded.manual_review,
                updated_at = excluded.updated_at
            WHERE sessions.version < excluded.version
        """;

    // A late payment handled by refund queues its refund with the event that decides it; a row
    // already there (the same refund id) is left alone, so the append never fails on it.
    private const string QueueRefundsSql = """
        INSERT INTO late_refunds (refund_id, session_id, provider, provider_reference, provider_payment_id, amount, currency)
        SELECT r.refund_id, $1, r.provider, r.reference, r.payment_id, r.amount, r.currency
        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[])
            AS r(refund_id, provider, reference, payment_id, amount, currency)
        ON CONFLICT (refund_id) DO NOTHING
        """;

    // A refund's outcome, appended to the session, closes its queue row in the same transaction.
    private const string SettleRefundsSql = """
        UPDATE late_refunds r
        SET status = s.status, completed_at = now()
        FROM unnest($1::text[], $2::text[]) AS s(refund_id, status)
        WHERE r.refund_id = s.refund_id AND r.status = 'pending'
        """;

    // A reference already mapped is left alone: the append must not fail on anything but the
    // stream's version, or the log adaptor would retry it forever.
    private const string IndexReferencesSql = """
        INSERT INTO provider_references (provider, reference, session_id)
        SELECT r.provider, r.reference, $1
        FROM unnest($2::text[], $3::text[]) AS r(provider, reference)
        ON CONFLICT (provider, reference) DO NOTHING
        """;

    // A chunk of bulk expiries in one statement. The event rows go in only where the version is
    // still free: a stream someone else moved on keeps its rows, and its projection and outbox rows
    // are not written either, since they join on the events that went in. The projection upsert
    // and the outbox insert are the same as an append's, row for row.
    private const string ExpireChunkSql = """
        WITH appended AS (
            INSERT INTO session_events (stream_id, version, event_id, type, data, occurred_at)
            SELECT e.stream_id, e.version, e.event_id, $3, e.data::json, e.occurred_at
            FROM unnest($1::text[], $2::int[], $4::uuid[], $5::text[], $6::timestamptz[])
                AS e(stream_id, version, event_id, data, occurred_at)
            ON CONFLICT (stream_id, version) DO NOTHING
            RETURNING stream_id
        ), projected AS (
            INSERT INTO sessions (session_id, business_id, order_id, customer, status, amount, currency,
                                  created_at, expires_at, version, livemode, dialect, customer_id, manual_review, updated_at)
            SELECT p.session_id, p.business_id, p.order_id, p.customer, p.status, p.amount, p.currency,
                   p.created_at, p.expires_at, p.version, p.livemode, p.dialect, p.customer_id, p.manual_review, now()
            FROM unnest($1::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[],
                        $13::timestamptz[], $14::timestamptz[], $2::int[], $15::bool[], $22::text[], $26::text[], $27::bool[])
                AS p(session_id, business_id, order_id, customer, status, amount, currency, created_at, expires_at, version, livemode, dialect, customer_id, manual_review)
            WHERE p.session_id IN (SELECT stream_id FROM appended)
            ON CONFLICT (session_id) DO UPDATE
                SET status = excluded.status,
                    expires_at = excluded.expires_at,
                    version = excluded.version,
                    manual_review = excluded.manual_review,
                    updated_at = excluded.updated_at
                WHERE sessions.version < excluded.version
        ), queued AS (
            INSERT INTO webhook_deliveries (event_id, session_id, business_id, type, sequence, payload, sends_callback_token, subscription, signs_body)
            SELECT w.event_id, w.session_id, w.business_id, w.type, w.sequence, w.payload::json, w.sends_callback_token, w.subscription, w.signs_body
            FROM unnest($16::uuid[], $17::text[], $18::text[], $19::text[], $20::int[], $21::text[], $23::bool[], $24::text[], $25::bool[])
                AS w(event_id, session_id, business_id, type, sequence, payload, sends_callback_token, subscription, signs_body)
            WHERE w.session_id IN (SELECT stream_id FROM appended)
        )
        SELECT stream_id FROM appended
        """;

    // Within one silo a sweep chunk never waits on a live batch's locks (a stream's appends all go
    // to one writer). With several silos, a grain on another silo may hold a row the chunk needs
    // while waiting for one the chunk holds; the chunk then gives up well before PostgreSQL's
    // deadlock check (1 s by default) could pick the live batch instead. Its sessions stay due and
    // the next sweep tries again.
    private const string SweepLockTimeoutSql = "SET LOCAL lock_timeout = '200ms'";

    private const string ReadStreamsSql = """
        SELECT stream_id, type, data::text
        FROM session_events
        WHERE stream_id = ANY($1)
        ORDER BY stream_id, version
        """;

    private const string QueueWebhooksSql = """
        INSERT INTO webhook_deliveries (event_id, session_id, business_id, type, sequence, payload, sends_callback_token, subscription, signs_body)
        SELECT w.event_id, $1, w.business_id, w.type, w.sequence, w.payload::json, w.sends_callback_token, w.subscription, w.signs_body
        FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::text[], $7::boolean[], $8::text[], $9::boolean[])
            AS w(event_id, business_id, type, sequence, payload, sends_callback_token, subscription, signs_body)
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly EventStoreOptions _options;
    private readonly Channel<WriterWork>[] _queues;
    private readonly Task[] _writers;
    private long _batches;
    private long _appends;
    private long _sweepChunks;
    private long _retries;
    private long _splitBatches;
    private int _lastBatchSize;

    public PostgresEventStore(NpgsqlDataSource dataSource)
        : this(dataSource, Options.Create(new EventStoreOptions()))
    {
    }

    public PostgresEventStore(NpgsqlDataSource dataSource, IOptions<EventStoreOptions> options)
    {
        _dataSource = dataSource;
        _options = options.Value;
        _queues = new Channel<WriterWork>[_options.Writers];
        _writers = new Task[_options.Writers];
        for (var i = 0; i < _queues.Length; i++)
        {
            var queue = Channel.CreateBounded<WriterWork>(new BoundedChannelOptions(_options.QueueCapacity)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
            _queues[i] = queue;
            _writers[i] = Task.Run(() => WriteLoopAsync(queue.Reader));
        }
    }

    /// <summary>
    /// Called with each batch just before its commit (for a batch of one, before its single round
    /// trip, which commits it). A seam for tests that break the connection mid-batch.
    /// </summary>
    public Func<EventStoreBatch, Task>? BeforeCommit { get; init; }

    /// <summary>Transactions the writer has started (each holds one batch).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Batches sent again after their connection broke.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>
    /// Batches of two or more appends that could not be written in one pass (an append of theirs
    /// was refused, or two of them were for one stream) and were written append by append.
    /// </summary>
    public long SplitBatches => Interlocked.Read(ref _splitBatches);

    /// <summary>Appends the writer has taken into batches.</summary>
    public long Appends => Interlocked.Read(ref _appends);

    /// <summary>How many appends the most recent batch holds.</summary>
    public int LastBatchSize => Volatile.Read(ref _lastBatchSize);

    /// <summary>
    /// Called by <see cref="ExpireDueAsync"/> once the streams are read and the expiries decided,
    /// before any of them is queued: a seam for tests that move a stream on in between.
    /// </summary>
    public Func<IReadOnlyList<ExpiryAppend>, Task>? BeforeBulkWrite { get; init; }

    /// <summary>Appends (and sweep chunks) waiting for a writer.</summary>
    public int Pending => _queues.Sum(q => q.Reader.Count);

    /// <summary>Sweep chunks the writers have taken (each its own transaction).</summary>
    public long SweepChunks => Interlocked.Read(ref _sweepChunks);

    public async Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(ReadSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        var events = new List<StoredEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var type = reader.GetString(1);
            var data = reader.GetString(2);
            events.Add(new StoredEvent(reader.GetInt32(0), type, data, EventTypes.Deserialize(type, data)));
        }

        return events;
    }

    public async Task<AppendResult> AppendAsync(
        string streamId,
        int expectedVersion,
        IReadOnlyList<PaymentSessionEvent> events,
        SessionProjection projection,
        IReadOnlyList<OutboundWebhook>? webhooks = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        if (events.Count == 0)
        {
            return AppendResult.Appended;
        }

        using var activity = Tracing.StartActivity("event_store.append");
        var append = new PendingAppend(streamId, expectedVersion, events, projection, webhooks, cancellationToken) { Trace = activity?.Context ?? default };
        try
        {
            await QueueOf(streamId).Writer.WriteAsync(append, cancellationToken);
        }
        catch (ChannelClosedException e)
        {
            throw new ObjectDisposedException(nameof(PostgresEventStore), e);
        }

        return await append.Result;
    }

    public async Task<BulkExpiryResult> ExpireDueAsync(IReadOnlyList<string> sessionIds, DateTimeOffset now, PaymentLinks links, CancellationToken cancellationToken = default)
    {
        var ids = sessionIds.Distinct(StringComparer.Ordinal).ToArray();
        if (ids.Length == 0)
        {
            return new BulkExpiryResult([], [], []);
        }

        // Every stream of the page in one query, folded as its grain would fold it.
        var states = new Dictionary<string, (PaymentSessionState State, int Version)>(ids.Length, StringComparer.Ordinal);
        await using (var command = _dataSource.CreateCommand(ReadStreamsSql))
        {
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var streamId = reader.GetString(0);
                if (!states.TryGetValue(streamId, out var folded))
                {
                    folded = (new PaymentSessionState(), 0);
                }

                folded.State.Apply(EventTypes.Deserialize(reader.GetString(1), reader.GetString(2)));
                states[streamId] = (folded.State, folded.Version + 1);
            }
        }

        var decided = new List<ExpiryAppend>(ids.Length);
        var notDue = new List<string>();
        foreach (var id in ids)
        {
            if (states.TryGetValue(id, out var folded) && SessionExpiry.Decide(id, folded.State, folded.Version, now, links) is { } expiry)
            {
                decided.Add(expiry);
            }
            else
            {
                notDue.Add(id);
            }
        }

        if (decided.Count == 0)
        {
            return new BulkExpiryResult([], [], notDue);
        }

        if (BeforeBulkWrite is { } hook)
        {
            await hook(decided);
        }

        // Each expiry to its stream's writer, in chunks; every chunk is awaited, so a failure of one
        // writer does not leave another's chunks unobserved.
        var chunks = new List<SweepChunk>();
        foreach (var writer in decided.GroupBy(e => WriterOf(e.SessionId, _queues.Length)))
        {
            foreach (var part in writer.Chunk(_options.SweepChunkSize))
            {
                var chunk = new SweepChunk(part);
                try
                {
                    await _queues[writer.Key].Writer.WriteAsync(chunk, cancellationToken);
                }
                catch (ChannelClosedException e)
                {
                    throw new ObjectDisposedException(nameof(PostgresEventStore), e);
                }

                chunks.Add(chunk);
            }
        }

        var written = await Task.WhenAll(chunks.Select(c => c.Result));
        var expired = new List<string>(decided.Count);
        var refused = new List<string>();
        foreach (var (chunk, appended) in chunks.Zip(written))
        {
            foreach (var expiry in chunk.Expiries)
            {
                (appended.Contains(expiry.SessionId) ? expired : refused).Add(expiry.SessionId);
            }
        }

        return new BulkExpiryResult(expired, refused, notDue);
    }

    /// <summary>Stops taking appends, writes those already queued, and waits for the writers.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var queue in _queues)
        {
            queue.Writer.TryComplete();
        }

        await Task.WhenAll(_writers);
    }

    public void Dispose()
    {
        foreach (var queue in _queues)
        {
            queue.Writer.TryComplete();
        }

        Task.WhenAll(_writers).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Which of <paramref name="writers"/> writers takes <paramref name="streamId"/>'s appends: the
    /// same one for the life of the process (string hashes are stable within one process, which is
    /// all the ordering needs).
    /// </summary>
    public static int WriterOf(string streamId, int writers) =>
        writers == 1 ? 0 : (int)((uint)streamId.GetHashCode() % (uint)writers);

    private Channel<WriterWork> QueueOf(string streamId) => _queues[WriterOf(streamId, _queues.Length)];

    /// <summary>
    /// One writer: live appends first, in batches; sweep chunks are held aside and written when no
    /// live append waits, or after <see cref="EventStoreOptions.LiveBatchesPerSweepChunk"/> live
    /// batches in a row while some wait.
    /// </summary>
    private async Task WriteLoopAsync(ChannelReader<WriterWork> reader)
    {
        var batch = new List<PendingAppend>(_options.MaxBatchSize);
        var held = new Queue<SweepChunk>();
        var liveInARow = 0;
        while (true)
        {
            batch.Clear();
            Take(reader, batch, held);
            if (batch.Count > 0)
            {
                await WriteLiveAsync(reader, batch, held);
                if (held.Count == 0)
                {
                    liveInARow = 0;
                    continue;
                }

                if (++liveInARow < _options.LiveBatchesPerSweepChunk)
                {
                    continue;
                }
            }

            if (held.TryDequeue(out var chunk))
            {
                liveInARow = 0;
                await WriteSweepAsync(chunk);
                continue;
            }

            if (!await reader.WaitToReadAsync())
            {
                return;
            }
        }
    }

    private async Task WriteLiveAsync(ChannelReader<WriterWork> reader, List<PendingAppend> batch, Queue<SweepChunk> held)
    {
        // Only when others are already waiting is it worth waiting a little for more: an
        // append alone goes out at once.
        if (batch.Count > 1 && batch.Count < _options.MaxBatchSize && _options.MaxBatchWait > TimeSpan.Zero)
        {
            using var wait = new CancellationTokenSource(_options.MaxBatchWait);
            try
            {
                while (batch.Count < _options.MaxBatchSize && await reader.WaitToReadAsync(wait.Token))
                {
                    Take(reader, batch, held);
                }
            }
            catch (OperationCanceledException) when (wait.IsCancellationRequested)
            {
                // The wait is over: write what there is.
            }
        }

        batch.RemoveAll(a => a.CancellationToken.IsCancellationRequested && a.Cancel());
        if (batch.Count == 0)
        {
            return;
        }

        // Counted before any append of the batch is answered, so whoever sees an answer sees
        // the batch that gave it.
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _appends, batch.Count);
        Volatile.Write(ref _lastBatchSize, batch.Count);
        BatchSizes.Record(batch.Count);

        // A batch whose connection broke is sent again on a new one while the retry window lasts
        // (see EventStoreOptions.RetryWindow): whether the lost connection had committed it or
        // not, the batch sent again answers each append truly, since an append already stored
        // fails on its versions and is then recognized by its event ids (RefusalOf). No append
        // of the batch has been answered when WriteBatchAsync throws.
        var giveUpAt = DateTime.UtcNow + _options.RetryWindow;
        var pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                await WriteBatchAsync(batch);
                return;
            }
            catch (NpgsqlException e) when (IsConnectionFailure(e) && DateTime.UtcNow + pause < giveUpAt)
            {
                // The pool's idle connections lead where this one did (a server that went away,
                // or one that is a replica now): closed, so the next try connects afresh, to
                // whichever host is the primary now.
                _dataSource.Clear();
                Interlocked.Increment(ref _retries);
                await Task.Delay(pause);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
            }
            catch (Exception e)
            {
                foreach (var append in batch)
                {
                    append.Fail(e);
                }

                return;
            }
        }
    }

    /// <summary>
    /// The connection broke, or the server is going away or not yet back (restart, failover), or
    /// it is no longer the primary (25006, read-only transaction: a failover left the pooled
    /// connection on a server that is a replica now): the transaction did not complete here, and
    /// the same batch may be sent again on a new connection. Errors PostgreSQL reports about the
    /// statements themselves are not.
    /// </summary>
    private static bool IsConnectionFailure(NpgsqlException e) => e switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState is "57P01" or "57P02" or "57P03" or "25006",
        _ => true,
    };

    // Live appends into the batch; sweep chunks met on the way are set aside for their turn.
    private void Take(ChannelReader<WriterWork> reader, List<PendingAppend> batch, Queue<SweepChunk> held)
    {
        while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var work))
        {
            switch (work)
            {
                case PendingAppend append:
                    batch.Add(append);
                    break;
                case SweepChunk chunk:
                    held.Enqueue(chunk);
                    break;
            }
        }
    }

    private async Task WriteSweepAsync(SweepChunk chunk)
    {
        Interlocked.Increment(ref _sweepChunks);
        try
        {
            chunk.Complete(await WriteChunkAsync(chunk.Expiries));
        }
        catch (Exception e)
        {
            chunk.Fail(e);
        }
    }

    /// <summary>One chunk of expiries in a transaction of its own; the ids whose Expired went in.</summary>
    private async Task<HashSet<string>> WriteChunkAsync(IReadOnlyList<ExpiryAppend> expiries)
    {
        var count = expiries.Count;
        var webhooks = expiries.Where(e => e.Webhook is not null).Select(e => (e.SessionId, Webhook: e.Webhook!)).ToArray();
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var appended = new HashSet<string>(count, StringComparer.Ordinal);
        await using (var command = new NpgsqlBatch(connection, transaction))
        {
            command.BatchCommands.Add(new NpgsqlBatchCommand(SweepLockTimeoutSql));
            var expire = new NpgsqlBatchCommand(ExpireChunkSql);
            command.BatchCommands.Add(expire);
            var p = expire.Parameters;
            p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. expiries.Select(e => e.SessionId)] });
            p.Add(new NpgsqlParameter<int[]> { TypedValue = [.. expiries.Select(e => checked(e.ExpectedVersion + 1))] });
            p.Add(new NpgsqlParameter<string> { TypedValue = EventTypes.NameOf(expiries[0].Event) });
            p.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. expiries.Select(e => e.Event.EventId)] });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. expiries.Select(e => EventTypes.Serialize(e.Event))] });
            p.Add(Times(expiries.Select(e => e.Event.OccurredAt)));
            p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. expiries.Select(e => e.Projection.BusinessId)] });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. expiries.Select(e => e.Projection.OrderId)] });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. expiries.Select(e => e.Projection.Customer)] });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. expiries.Select(e => e.Projection.Status)] });
            p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. expiries.Select(e => e.Projection.Amount)] });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. expiries.Select(e => e.Projection.Currency)] });
            p.Add(Times(expiries.Select(e => e.Projection.CreatedAt)));
            p.Add(Times(expiries.Select(e => e.Projection.ExpiresAt)));
            p.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. expiries.Select(e => e.Projection.Livemode)] });
            p.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. webhooks.Select(w => w.Webhook.EventId)] });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. webhooks.Select(w => w.SessionId)] });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. webhooks.Select(w => w.Webhook.BusinessId)] });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. webhooks.Select(w => w.Webhook.Type)] });
            p.Add(new NpgsqlParameter<int[]> { TypedValue = [.. webhooks.Select(w => w.Webhook.Sequence)] });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. webhooks.Select(w => w.Webhook.Payload)] });
            p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. expiries.Select(e => DialectName(e.Projection.Dialect))] });
            p.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. webhooks.Select(w => w.Webhook.SendsCallbackToken)] });
            p.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. webhooks.Select(w => w.Webhook.Subscription)] });
            p.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. webhooks.Select(w => w.Webhook.SignsBody)] });
            p.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. expiries.Select(e => e.Projection.CustomerId)] });
            p.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. expiries.Select(e => e.Projection.ManualReview)] });
            await using var reader = await command.ExecuteReaderAsync();
            do
            {
                while (reader.FieldCount > 0 && await reader.ReadAsync())
                {
                    appended.Add(reader.GetString(0));
                }
            }
            while (await reader.NextResultAsync());
        }

        if (BeforeCommit is { } hook)
        {
            await hook(new EventStoreBatch(count, connection.ProcessID, Sweep: true));
        }

        await transaction.CommitAsync();
        return appended;

        static NpgsqlParameter<DateTime[]> Times(IEnumerable<DateTimeOffset> values) =>
            new() { TypedValue = [.. values.Select(v => v.UtcDateTime)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };
    }

    private async Task WriteBatchAsync(List<PendingAppend> batch)
    {
        // The writer's loop is nobody's child: whatever span was current when it started is not this batch's.
        Activity.Current = null;
        using var commit = batch[0].Trace == default
            ? Tracing.StartActivity("event_store.commit")
            : Tracing.StartActivity("event_store.commit", ActivityKind.Internal, batch[0].Trace, links: LinksOf(batch));
        commit?.SetTag("paysessions.event_store.batch_size", batch.Count);
        await using var connection = await _dataSource.OpenConnectionAsync();
        if (batch.Count == 1)
        {
            await WriteAloneAsync(connection, batch[0]);
            return;
        }

        if (await WriteAtOnceAsync(connection, batch))
        {
            foreach (var append in batch)
            {
                append.Complete(AppendResult.Appended);
            }

            return;
        }

        Interlocked.Increment(ref _splitBatches);

        // The outcome of each append is decided inside the transaction, but told only after the
        // commit: an append whose neighbours' commit failed must not be acknowledged.
        var outcomes = new AppendResult?[batch.Count];
        var failures = new Exception?[batch.Count];
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var next = 0;
            while (next < batch.Count)
            {
                // Each append sits between its own savepoint and its release, followed by a
                // marker that reports it done: after an error, the last marker read names the
                // append before the one that failed.
                // One savepoint name serves every append: each is released before the next is
                // taken. With the marker's number a parameter, a batch's statements are the same
                // few texts every time, which the connection keeps prepared.
                await using var command = new NpgsqlBatch(connection, transaction);
                for (var i = next; i < batch.Count; i++)
                {
                    command.BatchCommands.Add(new NpgsqlBatchCommand(SavepointSql));
                    foreach (var statement in Statements(batch[i]))
                    {
                        command.BatchCommands.Add(statement);
                    }

                    command.BatchCommands.Add(new NpgsqlBatchCommand(ReleaseSql));
                    var marker = new NpgsqlBatchCommand(MarkerSql);
                    marker.Parameters.Add(new NpgsqlParameter<int> { TypedValue = i });
                    command.BatchCommands.Add(marker);
                }

                var done = next - 1;
                try
                {
                    await using (var reader = await command.ExecuteReaderAsync())
                    {
                        do
                        {
                            while (reader.FieldCount > 0 && await reader.ReadAsync())
                            {
                                done = reader.GetInt32(0);
                            }
                        }
                        while (await reader.NextResultAsync());
                    }

                    for (var i = next; i < batch.Count; i++)
                    {
                        outcomes[i] = AppendResult.Appended;
                    }

                    next = batch.Count;
                }
                catch (PostgresException e) when (connection.State == System.Data.ConnectionState.Open)
                {
                    // Appends before the failed one stand (their savepoints were released); the
                    // failed one goes back to its savepoint, and the rest are sent again.
                    var refused = done + 1;
                    for (var i = next; i < refused; i++)
                    {
                        outcomes[i] = AppendResult.Appended;
                    }

                    await using (var rollback = new NpgsqlCommand(RollbackSql, connection, transaction))
                    {
                        await rollback.ExecuteNonQueryAsync();
                    }

                    var result = await RefusalOf(e, batch[refused], connection, transaction);
                    if (result is { } known)
                    {
                        outcomes[refused] = known;
                    }
                    else
                    {
                        failures[refused] = e;
                    }

                    next = refused + 1;
                }
            }

            if (BeforeCommit is { } hook)
            {
                await hook(new EventStoreBatch(batch.Count, connection.ProcessID));
            }

            await transaction.CommitAsync();
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (failures[i] is { } failure)
            {
                batch[i].Fail(failure);
            }
            else
            {
                batch[i].Complete(outcomes[i]!.Value);
            }
        }
    }

    /// <summary>
    /// The usual batch, where no append is refused: every event of the batch in one INSERT, every
    /// projection in one upsert, then each append's other rows, in one transaction, a handful of
    /// statements whatever the batch's size (append by append it is five statements each, which
    /// cost PostgreSQL more CPU than the service's own work). All or nothing: when PostgreSQL
    /// refuses any statement (a taken version or order id, two appends of one stream), the
    /// transaction is rolled back, false is returned and the batch is written append by append,
    /// where each refusal is told to its own append only.
    /// </summary>
    private async Task<bool> WriteAtOnceAsync(NpgsqlConnection connection, List<PendingAppend> batch)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlBatch(connection, transaction))
        {
            command.BatchCommands.Add(InsertEvents(batch));
            command.BatchCommands.Add(UpsertProjections(batch));
            foreach (var append in batch)
            {
                foreach (var statement in SideEffects(append))
                {
                    command.BatchCommands.Add(statement);
                }
            }

            try
            {
                await command.ExecuteNonQueryAsync();
            }
            catch (PostgresException) when (connection.State == System.Data.ConnectionState.Open)
            {
                await transaction.RollbackAsync();
                return false;
            }
        }

        if (BeforeCommit is { } hook)
        {
            await hook(new EventStoreBatch(batch.Count, connection.ProcessID));
        }

        await transaction.CommitAsync();
        return true;
    }

    private static NpgsqlBatchCommand InsertEvents(IReadOnlyList<PendingAppend> batch)
    {
        var count = batch.Sum(a => a.Events.Count);
        var streams = new string[count];
        var versions = new int[count];
        var ids = new Guid[count];
        var types = new string[count];
        var data = new string[count];
        var times = new DateTime[count];
        var row = 0;
        foreach (var append in batch)
        {
            for (var i = 0; i < append.Events.Count; i++, row++)
            {
                var e = append.Events[i];
                streams[row] = append.StreamId;
                versions[row] = checked(append.ExpectedVersion + i + 1);
                ids[row] = e.EventId;
                types[row] = EventTypes.NameOf(e);
                data[row] = EventTypes.Serialize(e);
                times[row] = e.OccurredAt.UtcDateTime;
            }
        }

        var insert = new NpgsqlBatchCommand(InsertEventsSql);
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = streams });
        insert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = versions });
        insert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = types });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = data });
        insert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = times, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        return insert;
    }

    private static NpgsqlBatchCommand UpsertProjections(IReadOnlyList<PendingAppend> batch)
    {
        var projections = batch.Select(a => a.Projection).ToArray();
        var upsert = new NpgsqlBatchCommand(UpsertProjectionsSql);
        var p = upsert.Parameters;
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. projections.Select(x => x.SessionId)] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. projections.Select(x => x.BusinessId)] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. projections.Select(x => x.OrderId)] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. projections.Select(x => x.Customer)] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. projections.Select(x => x.Status)] });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. projections.Select(x => x.Amount)] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. projections.Select(x => x.Currency)] });
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. projections.Select(x => x.CreatedAt.UtcDateTime)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. projections.Select(x => x.ExpiresAt.UtcDateTime)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = [.. projections.Select(x => x.Version)] });
        p.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. projections.Select(x => x.Livemode)] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. projections.Select(x => DialectName(x.Dialect))] });
        p.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. projections.Select(x => x.CustomerId)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. projections.Select(x => x.ManualReview)] });
        return upsert;
    }

    /// <summary>One append, one round trip: the statements run in one implicit transaction.</summary>
    private async Task WriteAloneAsync(NpgsqlConnection connection, PendingAppend append)
    {
        await using var command = new NpgsqlBatch(connection);
        foreach (var statement in Statements(append))
        {
            command.BatchCommands.Add(statement);
        }

        if (BeforeCommit is { } hook)
        {
            await hook(new EventStoreBatch(1, connection.ProcessID));
        }

        try
        {
            await command.ExecuteNonQueryAsync();
        }
        catch (PostgresException e) when (connection.State == System.Data.ConnectionState.Open)
        {
            if (await RefusalOf(e, append, connection, transaction: null) is not { } refusal)
            {
                throw;
            }

            append.Complete(refusal);
            return;
        }

        append.Complete(AppendResult.Appended);
    }

    /// <summary>
    /// What a failed append's error means: a typed refusal (order id or version taken), or null
    /// for any other error, which the caller sees as an exception. Runs on the batch's connection,
    /// so it sees appends earlier in the same transaction.
    /// </summary>
    // The projection's dialect column (0010): whether the order id is unique depends on it.
    internal static string DialectName(SessionDialect dialect) => dialect == SessionDialect.Xendit ? "xendit" : "payviox";

    private static async Task<AppendResult?> RefusalOf(PostgresException e, PendingAppend append, NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        if (e.SqlState != UniqueViolation)
        {
            return null;
        }

        return e.ConstraintName switch
        {
            OrderIdKey => AppendResult.DuplicateOrderId,

            // Either another writer took this version, or this very batch was committed by an
            // earlier try whose answer was lost. Only the stored event ids can tell which.
            StreamVersionKey or EventIdKey => await WasAlreadyAppended(append, connection, transaction)
                ? AppendResult.Appended
                : AppendResult.VersionConflict,
            _ => null,
        };
    }

    private static IEnumerable<NpgsqlBatchCommand> Statements(PendingAppend append)
    {
        yield return InsertEvents([append]);
        yield return UpsertProjections([append]);
        foreach (var statement in SideEffects(append))
        {
            yield return statement;
        }
    }

    /// <summary>
    /// The rows an append writes beside its events and projection, in the same transaction: late
    /// refunds queued or settled, provider references, merchant webhooks.
    /// </summary>
    private static IEnumerable<NpgsqlBatchCommand> SideEffects(PendingAppend append)
    {
        var (streamId, events, webhooks) = (append.StreamId, append.Events, append.Webhooks);
        var refunds = events.OfType<LatePaymentReceived>().Where(e => e.Handling == LatePaymentPolicy.Refund && e.RefundId is not null).ToArray();
        if (refunds.Length > 0)
        {
            var queue = new NpgsqlBatchCommand(QueueRefundsSql);
            queue.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
            queue.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. refunds.Select(e => e.RefundId!)] });
            queue.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. refunds.Select(e => e.Provider)] });
            queue.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. refunds.Select(e => e.ProviderReference)] });
            queue.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. refunds.Select(e => e.ProviderPaymentId)] });
            queue.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. refunds.Select(e => e.Amount ?? 0)] });
            queue.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. refunds.Select(e => e.Currency ?? "")] });
            yield return queue;
        }

        var settled = events
            .Select(e => e switch
            {
                LatePaymentRefunded r => (r.RefundId, Status: "refunded"),
                LatePaymentRefundFailed f => (f.RefundId, Status: "failed"),
                _ => default,
            })
            .Where(s => s.RefundId is not null)
            .ToArray();
        if (settled.Length > 0)
        {
            var settle = new NpgsqlBatchCommand(SettleRefundsSql);
            settle.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. settled.Select(s => s.RefundId)] });
            settle.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. settled.Select(s => s.Status)] });
            yield return settle;
        }

        var initiated = events.OfType<PaymentInitiated>().ToArray();
        if (initiated.Length > 0)
        {
            var index = new NpgsqlBatchCommand(IndexReferencesSql);
            index.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
            index.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. initiated.Select(e => e.Provider)] });
            index.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. initiated.Select(e => e.ProviderReference)] });
            yield return index;
        }

        if (webhooks is { Count: > 0 })
        {
            var outbox = new NpgsqlBatchCommand(QueueWebhooksSql);
            outbox.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
            outbox.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. webhooks.Select(w => w.EventId)] });
            outbox.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. webhooks.Select(w => w.BusinessId)] });
            outbox.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. webhooks.Select(w => w.Type)] });
            outbox.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. webhooks.Select(w => w.Sequence)] });
            outbox.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. webhooks.Select(w => w.Payload)] });
            outbox.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. webhooks.Select(w => w.SendsCallbackToken)] });
            outbox.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. webhooks.Select(w => w.Subscription)] });
            outbox.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. webhooks.Select(w => w.SignsBody)] });
            yield return outbox;
        }
    }

    private static async Task<bool> WasAlreadyAppended(PendingAppend append, NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        await using var command = new NpgsqlCommand(
            "SELECT event_id FROM session_events WHERE stream_id = $1 AND version > $2 ORDER BY version LIMIT $3", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = append.StreamId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = append.ExpectedVersion });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = append.Events.Count });
        await using var reader = await command.ExecuteReaderAsync();

        var ids = append.Events;
        var i = 0;
        while (await reader.ReadAsync())
        {
            if (i >= ids.Count || reader.GetGuid(0) != ids[i].EventId)
            {
                return false;
            }

            i++;
        }

        return i == ids.Count;
    }

    /// <summary>What a writer's queue holds: a live append, or a chunk of sweep work.</summary>
    private abstract class WriterWork;

    /// <summary>Bulk expiries for one writer's streams, written together after live appends.</summary>
    private sealed class SweepChunk(IReadOnlyList<ExpiryAppend> expiries) : WriterWork
    {
        private readonly TaskCompletionSource<HashSet<string>> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<ExpiryAppend> Expiries => expiries;

        public Task<HashSet<string>> Result => _result.Task;

        public void Complete(HashSet<string> appended) => _result.TrySetResult(appended);

        public void Fail(Exception exception) => _result.TrySetException(exception);
    }

    private static List<ActivityLink>? LinksOf(List<PendingAppend> batch) =>
        batch.Count == 1 ? null : [.. batch.Skip(1).Where(a => a.Trace != default).Select(a => new ActivityLink(a.Trace))];

    private sealed class PendingAppend(
        string streamId,
        int expectedVersion,
        IReadOnlyList<PaymentSessionEvent> events,
        SessionProjection projection,
        IReadOnlyList<OutboundWebhook>? webhooks,
        CancellationToken cancellationToken) : WriterWork
    {
        private readonly TaskCompletionSource<AppendResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string StreamId => streamId;

        public int ExpectedVersion => expectedVersion;

        public IReadOnlyList<PaymentSessionEvent> Events => events;

        public SessionProjection Projection => projection;

        public IReadOnlyList<OutboundWebhook>? Webhooks => webhooks;

        public CancellationToken CancellationToken => cancellationToken;

        /// <summary>The caller's <c>event_store.append</c> span, when traced.</summary>
        public ActivityContext Trace { get; init; }

        public Task<AppendResult> Result => _result.Task;

        public void Complete(AppendResult result) => _result.TrySetResult(result);

        public void Fail(Exception exception) => _result.TrySetException(exception);

        public bool Cancel() => _result.TrySetCanceled(cancellationToken);
    }
}

/// <summary>
/// A batch about to commit: how many appends it holds and the PostgreSQL backend writing it;
/// <paramref name="Sweep"/> when it is a chunk of bulk expiries rather than live appends.
/// </summary>
public sealed record EventStoreBatch(int Size, int BackendProcessId, bool Sweep = false);
