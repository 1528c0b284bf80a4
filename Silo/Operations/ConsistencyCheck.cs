using Npgsql;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Sessions.Xendit;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Silo.Operations;

/// <summary>One thing the database holds that its event streams do not account for.</summary>
public sealed record ConsistencyProblem(string Kind, string SessionId, string Detail);

/// <summary>What a check read and what it found: every problem counted by kind, the first <see cref="ConsistencyCheck.ListedProblems"/> listed.</summary>
public sealed record ConsistencyReport(long Streams, long Events, IReadOnlyDictionary<string, long> ProblemsByKind, IReadOnlyList<ConsistencyProblem> Problems)
{
    public bool Consistent => ProblemsByKind.Count == 0;
}

/// <summary>
/// Verifies the whole database against the event streams, the one source of truth, read-only:
/// <list type="bullet">
/// <item>each stream is whole: versions 1…n without a gap, Created first, every row readable;</item>
/// <item>each stream has its projection row, equal to the row its events fold into (the same
/// <see cref="SessionProjection.Of"/> the grains and the bulk expiry write), and no row lacks a stream;</item>
/// <item>each PaymentInitiated has its provider reference pointing to its stream, and each
/// provider reference was started by the stream it points to;</item>
/// <item>each event that notifies a merchant (<see cref="SessionWebhooks.For"/>) has its delivery
/// row, for the same session, and no delivery names an event that does not exist.</item>
/// </list>
/// Streams and projection rows are read in one pass each, side by side in id order; provider
/// references and delivery ids are held in memory (tens of bytes per row).
/// </summary>
public sealed class ConsistencyCheck(NpgsqlDataSource database, PaymentLinks links)
{
    /// <summary>Problems beyond this many are counted, not listed.</summary>
    public const int ListedProblems = 1000;

    public async Task<ConsistencyReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var problems = new ProblemList();
        var references = await ReadReferences(cancellationToken);
        var deliveries = await ReadDeliveries(cancellationToken);
        var initiatedReferences = new HashSet<(string, string)>();
        var knownEvents = new HashSet<Guid>();

        await using var projection = await ProjectionReader.OpenAsync(database, cancellationToken);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """SELECT stream_id, version, event_id, type, data::text FROM session_events ORDER BY stream_id COLLATE "C", version""", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        long streams = 0, events = 0;
        string? current = null;
        var state = new PaymentSessionState();
        var version = 0;
        var broken = false;

        async Task Finish()
        {
            if (current is null)
            {
                return;
            }

            streams++;
            foreach (var orphan in await projection.SkipTo(current, cancellationToken))
            {
                problems.Add("projection.orphan", orphan, "a projection row with no event stream");
            }

            var row = await projection.Take(current, cancellationToken);
            if (broken || !state.Exists)
            {
                return;
            }

            var expected = SessionProjection.Of(current, state, version);
            if (row is null)
            {
                problems.Add("projection.missing", current, $"no projection row; the stream says {expected.Status} at version {version}");
            }
            else if (Differences(expected, row) is { Length: > 0 } differences)
            {
                problems.Add("projection.differs", current, differences);
            }
        }

        while (await reader.ReadAsync(cancellationToken))
        {
            var streamId = reader.GetString(0);
            if (streamId != current)
            {
                await Finish();
                current = streamId;
                state = new PaymentSessionState();
                version = 0;
                broken = false;
            }

            events++;
            var rowVersion = reader.GetInt32(1);
            var eventId = reader.GetGuid(2);
            knownEvents.Add(eventId);
            if (broken)
            {
                continue;
            }

            if (rowVersion != version + 1)
            {
                problems.Add("stream.gap", streamId, $"version {rowVersion} follows version {version}");
                broken = true;
                continue;
            }

            PaymentSessionEvent @event;
            try
            {
                @event = EventTypes.Deserialize(reader.GetString(3), reader.GetString(4));
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
            {
                problems.Add("stream.unreadable", streamId, $"version {rowVersion} ({reader.GetString(3)}): {e.Message}");
                broken = true;
                continue;
            }

            if ((rowVersion == 1) != (@event is Created))
            {
                problems.Add("stream.created", streamId, rowVersion == 1 ? $"starts with {reader.GetString(3)}, not Created" : $"Created again at version {rowVersion}");
                broken = true;
                continue;
            }

            state.Apply(@event);
            version = rowVersion;
            if (@event is PaymentInitiated initiated)
            {
                initiatedReferences.Add((initiated.Provider, initiated.ProviderReference));
                if (!references.TryGetValue((initiated.Provider, initiated.ProviderReference), out var owner))
                {
                    problems.Add("provider_reference.missing", streamId, $"{initiated.Provider}/{initiated.ProviderReference} started at version {rowVersion} has no provider reference");
                }
                else if (owner != streamId)
                {
                    problems.Add("provider_reference.elsewhere", streamId, $"{initiated.Provider}/{initiated.ProviderReference} points to {owner}");
                }
            }

            if (SessionWebhooks.For(streamId, state, @event, rowVersion, links) is { } webhook)
            {
                if (!deliveries.TryGetValue(webhook.EventId, out var deliverySession))
                {
                    problems.Add("webhook_delivery.missing", streamId, $"{webhook.Type} (version {rowVersion}, event {webhook.EventId}) has no delivery row");
                }
                else if (deliverySession != streamId)
                {
                    problems.Add("webhook_delivery.elsewhere", streamId, $"the delivery of event {webhook.EventId} names session {deliverySession}");
                }
            }
        }

        await Finish();
        foreach (var orphan in await projection.SkipTo(null, cancellationToken))
        {
            problems.Add("projection.orphan", orphan, "a projection row with no event stream");
        }

        foreach (var ((provider, reference), sessionId) in references)
        {
            if (!initiatedReferences.Contains((provider, reference)))
            {
                problems.Add("provider_reference.orphan", sessionId, $"{provider}/{reference} was started by no PaymentInitiated of its session");
            }
        }

        foreach (var (eventId, sessionId) in deliveries)
        {
            if (!knownEvents.Contains(eventId))
            {
                problems.Add("webhook_delivery.orphan", sessionId, $"the delivery of event {eventId} names no stored event");
            }
        }

        return new ConsistencyReport(streams, events, problems.ByKind, problems.Items);
    }

    private static string Differences(SessionProjection expected, ProjectionRow row)
    {
        var differences = new List<string>();
        void Compare<T>(string column, T want, T have)
        {
            if (!EqualityComparer<T>.Default.Equals(want, have))
            {
                differences.Add($"{column}: stream says {want}, row says {have}");
            }
        }

        Compare("business_id", expected.BusinessId, row.BusinessId);
        Compare("order_id", expected.OrderId, row.OrderId);
        Compare("customer", expected.Customer, row.Customer);
        Compare("status", expected.Status, row.Status);
        Compare("amount", expected.Amount, row.Amount);
        Compare("currency", expected.Currency, row.Currency);
        Compare("created_at", Microseconds(expected.CreatedAt), Microseconds(row.CreatedAt));
        Compare("expires_at", Microseconds(expected.ExpiresAt), Microseconds(row.ExpiresAt));
        Compare("version", expected.Version, row.Version);
        Compare("livemode", expected.Livemode, row.Livemode);
        Compare("customer_id", expected.CustomerId, row.CustomerId);
        Compare("manual_review", expected.ManualReview, row.ManualReview);
        Compare("dialect", expected.Dialect == SessionDialect.Xendit ? "xendit" : "payviox", row.Dialect);
        return string.Join("; ", differences);
    }

    /// <summary>PostgreSQL keeps microseconds; .NET keeps tenths of them. As text, so a difference reads exactly.</summary>
    private static string Microseconds(DateTimeOffset at)
    {
        var utc = at.UtcTicks;
        return new DateTimeOffset(utc - (utc % 10), TimeSpan.Zero).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<Dictionary<(string Provider, string Reference), string>> ReadReferences(CancellationToken cancellationToken)
    {
        var references = new Dictionary<(string, string), string>();
        await using var command = database.CreateCommand("SELECT provider, reference, session_id FROM provider_references");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            references[(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
        }

        return references;
    }

    private async Task<Dictionary<Guid, string>> ReadDeliveries(CancellationToken cancellationToken)
    {
        var deliveries = new Dictionary<Guid, string>();
        await using var command = database.CreateCommand("SELECT event_id, session_id FROM webhook_deliveries");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            deliveries[reader.GetGuid(0)] = reader.GetString(1);
        }

        return deliveries;
    }

    private sealed record ProjectionRow(
        string SessionId, string BusinessId, string OrderId, string Customer, string Status, long Amount, string Currency,
        DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, int Version, bool Livemode, string Dialect, string? CustomerId, bool ManualReview);

    /// <summary>The projection table read once, in the same id order as the streams.</summary>
    private sealed class ProjectionReader : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlCommand _command;
        private readonly NpgsqlDataReader _reader;
        private ProjectionRow? _next;
        private bool _done;

        private ProjectionReader(NpgsqlConnection connection, NpgsqlCommand command, NpgsqlDataReader reader)
        {
            _connection = connection;
            _command = command;
            _reader = reader;
        }

        public static async Task<ProjectionReader> OpenAsync(NpgsqlDataSource database, CancellationToken cancellationToken)
        {
            var connection = await database.OpenConnectionAsync(cancellationToken);
            var command = new NpgsqlCommand(
                """
                SELECT session_id, business_id, order_id, customer, status, amount, currency, created_at, expires_at, version, livemode, dialect, customer_id, manual_review
                FROM sessions ORDER BY session_id COLLATE "C"
                """,
                connection);
            var reader = await command.ExecuteReaderAsync(cancellationToken);
            return new ProjectionReader(connection, command, reader);
        }

        /// <summary>Rows before <paramref name="sessionId"/> (all that are left when null): they have no stream.</summary>
        public async Task<List<string>> SkipTo(string? sessionId, CancellationToken cancellationToken)
        {
            var skipped = new List<string>();
            while (await Peek(cancellationToken) is { } row && (sessionId is null || string.CompareOrdinal(row.SessionId, sessionId) < 0))
            {
                skipped.Add(row.SessionId);
                _next = null;
            }

            return skipped;
        }

        /// <summary>The row of <paramref name="sessionId"/>, if it is the next one.</summary>
        public async Task<ProjectionRow?> Take(string sessionId, CancellationToken cancellationToken)
        {
            if (await Peek(cancellationToken) is { } row && row.SessionId == sessionId)
            {
                _next = null;
                return row;
            }

            return null;
        }

        private async Task<ProjectionRow?> Peek(CancellationToken cancellationToken)
        {
            if (_next is not null || _done)
            {
                return _next;
            }

            if (!await _reader.ReadAsync(cancellationToken))
            {
                _done = true;
                return null;
            }

            _next = new ProjectionRow(
                _reader.GetString(0), _reader.GetString(1), _reader.GetString(2), _reader.GetString(3), _reader.GetString(4),
                _reader.GetInt64(5), _reader.GetString(6).Trim(), _reader.GetFieldValue<DateTimeOffset>(7), _reader.GetFieldValue<DateTimeOffset>(8),
                _reader.GetInt32(9), _reader.GetBoolean(10), _reader.GetString(11), _reader.IsDBNull(12) ? null : _reader.GetString(12), _reader.GetBoolean(13));
            return _next;
        }

        public async ValueTask DisposeAsync()
        {
            await _reader.DisposeAsync();
            await _command.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }

    private sealed class ProblemList
    {
        public List<ConsistencyProblem> Items { get; } = [];

        public SortedDictionary<string, long> ByKind { get; } = new(StringComparer.Ordinal);

        public void Add(string kind, string sessionId, string detail)
        {
            ByKind[kind] = ByKind.GetValueOrDefault(kind) + 1;
            if (Items.Count < ListedProblems)
            {
                Items.Add(new ConsistencyProblem(kind, sessionId, detail));
            }
        }
    }
}
