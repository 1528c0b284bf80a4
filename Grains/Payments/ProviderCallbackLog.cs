using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using PaySessions.Grains.Sessions;

namespace PaySessions.Grains.Payments;

/// <summary>
/// A provider callback as it will be recorded: never its body, signature or payer data, only what
/// names it (<paramref name="Reference"/>, <paramref name="Type"/>, <paramref name="PaymentId"/> as
/// the body gave them, unverified when the signature failed), what became of it and why.
/// <paramref name="SessionId"/> is null when it names no known session.
/// </summary>
public sealed record ProviderCallback(
    string Provider, DateTimeOffset ReceivedAt, string? SessionId, string? Reference, string? Type, string? PaymentId, string Outcome, string? Reason)
{
    public const string Accepted = "accepted";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";
}

/// <summary>The durable record of provider callbacks, for the session timeline and for operators.</summary>
public interface IProviderCallbackLog
{
    /// <summary>
    /// Records one callback. Bounded so that a stranger cannot grow the database with it: a session
    /// keeps at most <see cref="PostgresProviderCallbackLog.MaxRejectedPerSession"/> rejected ones,
    /// and callbacks that name no session go into a ring of <see cref="PostgresProviderCallbackLog.UnmatchedSlots"/> rows.
    /// </summary>
    Task RecordAsync(ProviderCallback callback, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ProviderCallbackRecord>> ListForSessionAsync(string sessionId, CancellationToken cancellationToken = default);
}

public sealed class PostgresProviderCallbackLog(NpgsqlDataSource dataSource) : IProviderCallbackLog
{
    public const int MaxRejectedPerSession = 50;
    public const int UnmatchedSlots = 1000;

    public async Task RecordAsync(ProviderCallback callback, CancellationToken cancellationToken = default)
    {
        NpgsqlCommand command;
        if (callback.SessionId is null)
        {
            command = dataSource.CreateCommand($"""
                INSERT INTO provider_callbacks_unmatched (slot, provider, received_at, reference, type, outcome, reason)
                VALUES ((nextval('provider_callbacks_unmatched_seq') % {UnmatchedSlots})::int, $1, $2, $3, $4, $5, $6)
                ON CONFLICT (slot) DO UPDATE SET provider = excluded.provider, received_at = excluded.received_at,
                    reference = excluded.reference, type = excluded.type, outcome = excluded.outcome, reason = excluded.reason
                """);
            command.Parameters.Add(Text(callback.Provider));
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = callback.ReceivedAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(Text(callback.Reference));
            command.Parameters.Add(Text(callback.Type));
            command.Parameters.Add(Text(callback.Outcome));
            command.Parameters.Add(Text(callback.Reason));
        }
        else
        {
            // Signed callbacks are all kept; rejected ones (anyone can send those) up to the cap.
            command = dataSource.CreateCommand($"""
                INSERT INTO provider_callbacks (session_id, provider, received_at, reference, type, payment_id, outcome, reason)
                SELECT $1, $2, $3, $4, $5, $6, $7, $8
                WHERE $7 <> 'rejected'
                   OR (SELECT count(*) FROM provider_callbacks WHERE session_id = $1 AND outcome = 'rejected') < {MaxRejectedPerSession}
                """);
            command.Parameters.Add(Text(callback.SessionId));
            command.Parameters.Add(Text(callback.Provider));
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = callback.ReceivedAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(Text(callback.Reference));
            command.Parameters.Add(Text(callback.Type));
            command.Parameters.Add(Text(callback.PaymentId));
            command.Parameters.Add(Text(callback.Outcome));
            command.Parameters.Add(Text(callback.Reason));
        }

        await using (command)
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async Task<IReadOnlyList<ProviderCallbackRecord>> ListForSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, provider, received_at, reference, type, payment_id, outcome, reason
            FROM provider_callbacks WHERE session_id = $1 ORDER BY id
            """);
        command.Parameters.Add(Text(sessionId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var records = new List<ProviderCallbackRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new ProviderCallbackRecord(
                reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), Nullable(reader, 3), Nullable(reader, 4),
                Nullable(reader, 5), reader.GetString(6), Nullable(reader, 7)));
        }

        return records;
    }

    private static string? Nullable(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    private static NpgsqlParameter<string?> Text(string? value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Text };
}

/// <summary>
/// What a callback body names, read without trusting it (the signature may have failed): the
/// <c>reference</c>, <c>type</c> and <c>payment_id</c> strings of this service's provider
/// protocol, each cut to 200 characters; nothing else of the body is looked at.
/// </summary>
public static class ClaimedCallback
{
    private const int MaxLength = 200;

    public static (string? Reference, string? Type, string? PaymentId) Read(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null, null);
            }

            return (Field(document.RootElement, "reference"), Field(document.RootElement, "type"), Field(document.RootElement, "payment_id"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return (null, null, null);
        }
    }

    private static string? Field(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text.Length > MaxLength ? text[..MaxLength] : text
            : null;
}
