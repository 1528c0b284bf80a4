-- Payment sessions: the event log (the record) and the sessions projection (for queries).
-- Applied once by the migrator at start-up; every statement is also safe to run again.

-- One row per event. version counts from 1 within a stream, and the primary key on
-- (stream_id, version) is the optimistic-concurrency check: two writers that both read
-- version N cannot both write N+1. event_id lets a retried batch be recognised.
-- data is json, not jsonb: the row keeps the exact text that was written.
CREATE TABLE IF NOT EXISTS session_events (
    stream_id    text        NOT NULL,
    version      integer     NOT NULL CHECK (version > 0),
    event_id     uuid        NOT NULL,
    type         text        NOT NULL,
    data         json        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT session_events_pkey PRIMARY KEY (stream_id, version),
    CONSTRAINT session_events_event_id_key UNIQUE (event_id)
);

-- Events are facts: the table refuses to change or lose a row, whoever asks.
CREATE OR REPLACE FUNCTION session_events_are_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'session_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

DROP TRIGGER IF EXISTS session_events_no_update_or_delete ON session_events;
CREATE TRIGGER session_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON session_events
    FOR EACH ROW EXECUTE FUNCTION session_events_are_append_only();

DROP TRIGGER IF EXISTS session_events_no_truncate ON session_events;
CREATE TRIGGER session_events_no_truncate
    BEFORE TRUNCATE ON session_events
    FOR EACH STATEMENT EXECUTE FUNCTION session_events_are_append_only();

-- The latest state of each session, written in the same transaction as its events.
-- The unique (business_id, order_id) makes "order id unique per business" atomic.
CREATE TABLE IF NOT EXISTS sessions (
    session_id   text        NOT NULL PRIMARY KEY,
    business_id  text        NOT NULL,
    order_id     text        NOT NULL,
    customer     text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('created', 'payment_initiated', 'completed', 'expired', 'canceled')),
    amount       bigint      NOT NULL CHECK (amount >= 0),
    currency     char(3)     NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    version      integer     NOT NULL CHECK (version > 0),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sessions_business_order_key UNIQUE (business_id, order_id)
);

-- Open sessions by when they expire: what an expiry sweep or an operator asks first.
CREATE INDEX IF NOT EXISTS sessions_open_by_expiry
    ON sessions (expires_at)
    WHERE status IN ('created', 'payment_initiated');
