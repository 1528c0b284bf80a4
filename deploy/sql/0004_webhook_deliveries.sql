-- Merchant webhooks: an outbox written in the same transaction as the session events that cause
-- them, so a notification can never be lost between "recorded" and "told". The dispatcher claims
-- due rows with FOR UPDATE SKIP LOCKED (several silos share the work) and leases them by moving
-- next_attempt_at forward, so a dispatcher that dies mid-send only delays the row.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    event_id         uuid        NOT NULL PRIMARY KEY,   -- the session event's id: stable across retries
    session_id       text        NOT NULL,
    business_id      text        NOT NULL,
    type             text        NOT NULL,               -- session.completed, …
    sequence         integer     NOT NULL,               -- the session event's version
    payload          json        NOT NULL,               -- the exact body sent on every attempt
    status           text        NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz NULL
);

CREATE INDEX IF NOT EXISTS webhook_deliveries_due
    ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';

CREATE INDEX IF NOT EXISTS webhook_deliveries_by_session
    ON webhook_deliveries (session_id, sequence);

-- One row per HTTP attempt, for GET /session/{id}/webhooks and for operators.
CREATE TABLE IF NOT EXISTS webhook_attempts (
    event_id     uuid        NOT NULL REFERENCES webhook_deliveries (event_id),
    attempt      integer     NOT NULL,
    attempted_at timestamptz NOT NULL,
    url          text        NOT NULL,
    status_code  integer     NULL,        -- NULL when no HTTP answer came back
    error        text        NULL,
    duration_ms  integer     NOT NULL,
    PRIMARY KEY (event_id, attempt)
);
