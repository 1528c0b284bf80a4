using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using PaySessions.Grains.Sessions.Events;

namespace PaySessions.Grains.EventStore;

/// <summary>
/// The stored names of payment-session events and their JSON form. The design's five lifecycle
/// events are joined by two facts money demands: a declined attempt (PaymentFailed) and money
/// that arrived after the session ended (LatePaymentReceived, flagged for refund), and a reported
/// success whose amount or currency is not what the attempt asked for (PaymentMismatch, flagged
/// for refund; it never completes the session), and what a business's late-payment policy did
/// with late money: completed the session with it (LatePaymentAccepted), or gave it back
/// (LatePaymentRefunded) or failed to (LatePaymentRefundFailed). These names are written into
/// every event row, so they are a contract with all data ever stored: a CLR rename must not change
/// them, and a new event gets a new name here. The replay test reads a fixture of stored rows and
/// fails when this table drifts.
/// </summary>
public static class EventTypes
{
    private static readonly FrozenDictionary<string, Type> ByName = new Dictionary<string, Type>
    {
        ["Created"] = typeof(Created),
        ["PaymentInitiated"] = typeof(PaymentInitiated),
        ["Completed"] = typeof(Completed),
        ["Expired"] = typeof(Expired),
        ["Canceled"] = typeof(Canceled),
        ["PaymentFailed"] = typeof(PaymentFailed),
        ["LatePaymentReceived"] = typeof(LatePaymentReceived),
        ["PaymentMismatch"] = typeof(PaymentMismatch),
        ["LatePaymentAccepted"] = typeof(LatePaymentAccepted),
        ["LatePaymentRefunded"] = typeof(LatePaymentRefunded),
        ["LatePaymentRefundFailed"] = typeof(LatePaymentRefundFailed),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<Type, string> ByType =
        ByName.ToFrozenDictionary(pair => pair.Value, pair => pair.Key);

    /// <summary>
    /// snake_case field names and enums as strings: the JSON reads well in SQL and in the events
    /// endpoint, and does not depend on enum ordinals.
    /// </summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static string NameOf(PaymentSessionEvent @event) =>
        ByType.TryGetValue(@event.GetType(), out var name)
            ? name
            : throw new InvalidOperationException($"Event type {@event.GetType().Name} has no stored name.");

    public static string Serialize(PaymentSessionEvent @event) =>
        JsonSerializer.Serialize(@event, @event.GetType(), Json);

    /// <summary>Reads a stored row back. An unknown name is corrupt data and fails loudly.</summary>
    public static PaymentSessionEvent Deserialize(string name, string json)
    {
        if (!ByName.TryGetValue(name, out var type))
        {
            throw new InvalidOperationException($"Stored event type '{name}' is unknown.");
        }

        return (PaymentSessionEvent?)JsonSerializer.Deserialize(json, type, Json)
            ?? throw new InvalidOperationException($"Stored event of type '{name}' has no data.");
    }
}
