-- Late payments handled by the business's policy (issue 13, item 9). Safe to run again.

-- manual_review: money on the session waits for an operator: a late payment handled "manual"
-- (by policy, or because the policy could not apply), a late payment whose refund failed, or a
-- payment mismatch. Written by the session's appends in the same transaction as its events, so
-- listings can filter on it.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS manual_review boolean NOT NULL DEFAULT false;

-- Sessions written before policies existed: a late payment without a recorded handling, or a
-- payment mismatch, was always left to an operator.
UPDATE sessions s
SET manual_review = true
WHERE NOT s.manual_review
  AND EXISTS (
    SELECT 1 FROM session_events e
    WHERE e.stream_id = s.session_id
      AND (e.type = 'PaymentMismatch' OR (e.type = 'LatePaymentReceived' AND (e.data::jsonb -> 'handling') IS NULL)));

-- A business's flagged sessions, newest first, without reading the others.
CREATE INDEX IF NOT EXISTS sessions_manual_review
    ON sessions (business_id, created_at DESC, session_id DESC)
    WHERE manual_review;

-- Refunds of late payments: an outbox written in the same transaction as the LatePaymentReceived
-- that decides the refund (refund_id is derived from the payment, the provider's idempotency key).
-- The refund worker on every silo claims due rows with FOR UPDATE SKIP LOCKED and leases them by
-- moving next_attempt_at; the session's LatePaymentRefunded / LatePaymentRefundFailed closes the
-- row (status refunded / failed) in the same transaction as that event.
CREATE TABLE IF NOT EXISTS late_refunds (
    refund_id           text        NOT NULL PRIMARY KEY,
    session_id          text        NOT NULL,
    provider            text        NOT NULL,
    provider_reference  text        NOT NULL,
    provider_payment_id text        NOT NULL,
    amount              bigint      NOT NULL,
    currency            text        NOT NULL,
    status              text        NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'refunded', 'failed')),
    attempts            integer     NOT NULL DEFAULT 0,
    last_error          text        NULL,
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    completed_at        timestamptz NULL
);

CREATE INDEX IF NOT EXISTS late_refunds_due
    ON late_refunds (next_attempt_at)
    WHERE status = 'pending';
