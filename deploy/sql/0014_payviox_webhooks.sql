-- Payviox-shaped merchant webhooks (issue 12, item 4). Two facts decided with the body when the
-- event is appended, kept on the row:
--   subscription: the event type a business must have chosen for the delivery to be sent (the
--     dispatcher judges it at send time against the business's choice; NULL: always sent, as every
--     row written before this script and every Xendit-dialect row is);
--   signs_body: deliveries carry Payviox's Signature header (hex HMAC-SHA256 of the body alone).
-- A delivery the business did not choose ends as 'unsubscribed': recorded, never sent.
-- Safe to run again.
ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS subscription text NULL;
ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS signs_body boolean NOT NULL DEFAULT false;
ALTER TABLE webhook_deliveries DROP CONSTRAINT IF EXISTS webhook_deliveries_status_check;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check
    CHECK (status IN ('pending', 'delivered', 'failed', 'skipped', 'unsubscribed'));
