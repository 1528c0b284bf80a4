-- Test and live are separate worlds: a session records the mode of the key that created it, and
-- an order id is unique per business *and mode*. Shared uniqueness would let a merchant's test
-- runs (which often replay the same order numbers as production) refuse a real customer's live
-- order with "order id already taken", and a live order id would leak into test answers.
-- Applied once by the migrator at start-up; every statement is also safe to run again.

-- Rows written before modes were recorded read as test, as their Created events do.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS livemode boolean NOT NULL DEFAULT false;

-- The constraint keeps its name (the event store recognises a duplicate order by it), and is
-- swapped only while it does not yet include livemode. The swap runs in this script's transaction,
-- so no moment exists without a uniqueness rule.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.conrelid = 'sessions'::regclass
          AND c.conname = 'sessions_business_order_key'
          AND a.attname = 'livemode')
    THEN
        ALTER TABLE sessions DROP CONSTRAINT IF EXISTS sessions_business_order_key;
        ALTER TABLE sessions ADD CONSTRAINT sessions_business_order_key UNIQUE (business_id, livemode, order_id);
    END IF;
END
$$;
