-- Issue 13, items 6 and 7: merchant webhook redelivery and the per-session timeline.
-- Safe to run again.

-- Redelivery. A redelivered delivery is pending again under its own event id (so its webhook-id
-- is unchanged); its retry schedule starts over from the redelivery:
--   schedule_from: when the current schedule began (NULL: created_at, as for every row before this);
--   schedule_attempts: the attempts made before it (the schedule counts failures from there);
--   redeliveries: how many times it was redelivered; a dispatcher that claimed the row before a
--     redelivery does not overwrite the redelivery's state with its own outcome (it compares this);
--   leased_until: when a dispatcher's claim of the row runs out; a redelivery of a row being sent
--     becomes due then, not at once, so two dispatchers never send one row together.
ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS schedule_from timestamptz NULL;
ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS schedule_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS redeliveries integer NOT NULL DEFAULT 0;
ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS leased_until timestamptz NULL;

-- The bulk redelivery's filter: one business's deliveries by creation time.
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_business
    ON webhook_deliveries (business_id, created_at);

-- Who asked for which redelivery, and when: one row per delivery redelivered, written in the same
-- transaction that makes the delivery pending again. requested_by names the API key by its kind,
-- mode and SHA-256 (what `merchants list` shows and `revoke-key` takes), never the key itself.
CREATE TABLE IF NOT EXISTS webhook_redeliveries (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id       uuid        NOT NULL,               -- one per API call: a bulk call's rows share it
    event_id         uuid        NOT NULL REFERENCES webhook_deliveries (event_id),
    session_id       text        NOT NULL,
    business_id      text        NOT NULL,
    requested_at     timestamptz NOT NULL,
    requested_by     text        NOT NULL,
    bulk             boolean     NOT NULL,
    filter           jsonb       NULL,                   -- a bulk call's filter, as given
    previous_status  text        NOT NULL
);

CREATE INDEX IF NOT EXISTS webhook_redeliveries_by_session
    ON webhook_redeliveries (session_id, id);

-- Provider callbacks (POST /webhooks/{provider}) as received: what came, what it was taken for, and
-- why one was refused. Never the body, the signature or any payer data: the provider, the
-- reference the body named (unverified when the signature failed), the type and payment id it
-- named, the outcome and the reason. One row per callback that names a known session; a rejected
-- one counts against a cap per session (see provider_callbacks_unmatched for the rest).
CREATE TABLE IF NOT EXISTS provider_callbacks (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id   text        NOT NULL,
    provider     text        NOT NULL,
    received_at  timestamptz NOT NULL,
    reference    text        NULL,
    type         text        NULL,
    payment_id   text        NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('accepted', 'duplicate', 'rejected')),
    reason       text        NULL
);

CREATE INDEX IF NOT EXISTS provider_callbacks_by_session
    ON provider_callbacks (session_id, id);

-- Callbacks that name no known session (unknown reference, unreadable body): kept for operators in
-- a ring of fixed size, so a stranger posting garbage cannot grow the database: each new one
-- overwrites the oldest slot.
CREATE TABLE IF NOT EXISTS provider_callbacks_unmatched (
    slot         integer     NOT NULL PRIMARY KEY,
    provider     text        NOT NULL,
    received_at  timestamptz NOT NULL,
    reference    text        NULL,
    type         text        NULL,
    outcome      text        NOT NULL,
    reason       text        NULL
);

CREATE SEQUENCE IF NOT EXISTS provider_callbacks_unmatched_seq;
