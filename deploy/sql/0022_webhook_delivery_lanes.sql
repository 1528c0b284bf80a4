-- Issue 9 item 5: merchant webhooks in two lanes, so a mass expiry's notices do not stand in front
-- of the webhooks a payment causes. The dispatcher claims due deliveries from each lane with its own
-- index and takes events (completions, refunds, ...) ahead of expiry notices, keeping a small share
-- of every claim for the notices so that they are never starved (WebhookOutbox.ClaimDueAsync).
-- The notice types are the Expired event's webhook types in both dialects; the predicates must stay
-- exactly as the claim writes them, or PostgreSQL cannot use these partial indexes.
-- Safe to run again.
CREATE INDEX IF NOT EXISTS webhook_deliveries_due_events
    ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending' AND type NOT IN ('expired', 'payment_session.expired');

CREATE INDEX IF NOT EXISTS webhook_deliveries_due_notices
    ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending' AND type IN ('expired', 'payment_session.expired');

-- The single due index these two replace: only the claim read it, and every queued webhook would
-- otherwise write three index entries instead of two.
DROP INDEX IF EXISTS webhook_deliveries_due;
