-- Idempotency keys of the merchant API (issue 13, item 5): one row per (business, mode, key), the
-- business being the API key's own (a parent acting for a sub-account through for-user-id keeps
-- its own keys; the acting business is part of the fingerprint). A request claims its key by
-- inserting the row (status_code NULL: in progress, held by `claim` until `locked_until`), then
-- completes it with its answer, or deletes it when it failed in a way a retry may mend (5xx, 409,
-- 429). The primary key is what makes concurrent requests with one key, on any node, run once.
-- Rows live until `expires_at` (the first claim plus PaySessions:Idempotency:Retention); an
-- expired row is replaced by the next claim of its key and deleted by the periodic purge.
-- Safe to run again.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    business_id     text        NOT NULL,
    livemode        boolean     NOT NULL,
    idempotency_key text        NOT NULL CHECK (idempotency_key ~ '^[!-~]{1,255}$'),
    fingerprint     bytea       NOT NULL CHECK (length(fingerprint) = 32),
    claim           uuid        NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    locked_until    timestamptz,
    status_code     integer     CHECK (status_code BETWEEN 100 AND 599),
    content_type    text,
    location        text,
    body            bytea,
    completed_at    timestamptz,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (business_id, livemode, idempotency_key),
    -- In progress (a lock, no answer) or completed (an answer, no lock), never both or neither.
    CONSTRAINT idempotency_keys_state CHECK (
        (status_code IS NULL AND body IS NULL AND completed_at IS NULL AND locked_until IS NOT NULL)
        OR (status_code IS NOT NULL AND body IS NOT NULL AND completed_at IS NOT NULL AND locked_until IS NULL))
);

-- The purge's scan: expired rows, oldest first.
CREATE INDEX IF NOT EXISTS idempotency_keys_expires_idx ON idempotency_keys (expires_at);
