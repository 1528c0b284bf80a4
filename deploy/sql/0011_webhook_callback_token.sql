-- Merchant webhooks of the Xendit dialect (issue 10) carry the business's x-callback-token header.
-- Whether a delivery does is decided with its body, when the event is appended, and kept on the
-- row: the dispatcher reads the token (stored encrypted with the business) only at send time, so a
-- rotated token is the one later attempts carry. Rows written before this column default to no
-- token, as they were written. Safe to run again.
ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS sends_callback_token boolean NOT NULL DEFAULT false;
