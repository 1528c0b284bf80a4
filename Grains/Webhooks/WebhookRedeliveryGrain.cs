using System.Text.Json;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace PaySessions.Grains.Webhooks;

/// <summary>
/// Redelivers a business's merchant webhooks (<see cref="IWebhookRedeliveryGrain"/>): the outbox
/// makes them pending again under the same event id and records who asked, in one transaction;
/// the dispatchers send them as any other due delivery. Stateless: any silo takes any call.
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed class WebhookRedeliveryGrain(IWebhookOutbox outbox, TimeProvider clock, IOptions<WebhookOptions> options)
    : Grain, IWebhookRedeliveryGrain
{
    private static readonly JsonSerializerOptions FilterJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private string BusinessId => this.GetPrimaryKeyString();

    public Task<RedeliveredWebhook?> Redeliver(string webhookId, bool livemode, string requestedBy) =>
        WebhookIds.TryParse(webhookId, out var eventId)
            ? outbox.RedeliverAsync(eventId, BusinessId, livemode, NewRequest(requestedBy))
            : Task.FromResult<RedeliveredWebhook?>(null);

    public Task<BulkRedelivery> RedeliverMatching(RedeliveryFilter filter, bool livemode, string requestedBy)
    {
        var settings = options.Value;
        var bounded = filter with { Limit = Math.Clamp(filter.Limit, 1, RedeliveryFilter.MaxLimit) };
        var recorded = JsonSerializer.Serialize(
            new { type = bounded.Type, created_from = bounded.CreatedFrom, created_to = bounded.CreatedTo, only_undelivered = bounded.OnlyUndelivered, limit = bounded.Limit },
            FilterJson);
        return outbox.RedeliverMatchingAsync(BusinessId, livemode, bounded, recorded, NewRequest(requestedBy), settings.RedeliverySpacing);
    }

    private RedeliveryRequest NewRequest(string requestedBy) => new(Guid.CreateVersion7(clock.GetUtcNow()), clock.GetUtcNow(), requestedBy);
}
