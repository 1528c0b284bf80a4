-- A Xendit-style session's reference_id is the merchant's label for it, not a key: that dialect's
-- contract never refuses a reused one (its only 409 is about customers), and its own examples
-- send one reference_id twice. A Payviox-style order_id stays unique per business and mode.
-- So the projection records each session's dialect, and the uniqueness of (business, mode,
-- order id) covers Payviox-style rows only.
-- Applied once by the migrator at start-up; every statement is also safe to run again.

ALTER TABLE sessions ADD COLUMN IF NOT EXISTS dialect text NOT NULL DEFAULT 'payviox';

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'sessions'::regclass AND conname = 'sessions_dialect_check') THEN
        ALTER TABLE sessions ADD CONSTRAINT sessions_dialect_check CHECK (dialect IN ('payviox', 'xendit'));
    END IF;
END
$$;

-- Rows written before the column existed: their Created event says which dialect they are.
UPDATE sessions s
SET dialect = 'xendit'
FROM session_events e
WHERE e.stream_id = s.session_id AND e.version = 1 AND e.data->>'dialect' = 'xendit' AND s.dialect <> 'xendit';

-- The rule keeps its name (the event store recognises a duplicate order by it) and becomes a
-- partial unique index over Payviox-style rows. The swap runs in this script's transaction, so no
-- moment exists without a uniqueness rule.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'sessions'::regclass AND conname = 'sessions_business_order_key') THEN
        ALTER TABLE sessions DROP CONSTRAINT sessions_business_order_key;
    END IF;
END
$$;

CREATE UNIQUE INDEX IF NOT EXISTS sessions_business_order_key
    ON sessions (business_id, livemode, order_id)
    WHERE dialect = 'payviox';
