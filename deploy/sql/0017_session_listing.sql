-- Merchants list their sessions (issue 13, item 4): GET /session and GET /sessions, newest first,
-- paged by (created_at, session_id) keys, filtered by status, customer, order or reference id and
-- a creation window. Applied once by the migrator at start-up; every statement is also safe to run
-- again.

-- The Xendit-style customer a session is for (cust-…), for the customer_id filter. The customer
-- column holds the customer's reference (what the per-customer rate limit counts), not its id.
-- Null for Payviox-style sessions and for Xendit-style ones created without a customer.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS customer_id text;

-- Rows written before the column existed: their Created event names the customer.
UPDATE sessions s
SET customer_id = e.data->'xendit'->>'customer_id'
FROM session_events e
WHERE e.stream_id = s.session_id AND e.version = 1
  AND s.dialect = 'xendit' AND s.customer_id IS NULL
  AND e.data->'xendit'->>'customer_id' IS NOT NULL;

-- A page is one index scan: the statement (Grains/EventStore/SessionListingSql.cs) reads one
-- index range per (business, mode, dialect) in the order a page is shown, from the cursor's key
-- (forward for starting_after, backward for ending_before), and stops after limit + 1 rows that
-- pass the filters. The creation window narrows the range itself; status is checked on the rows
-- the scan reaches (five values, none rare enough to deserve an index of its own).
CREATE INDEX IF NOT EXISTS sessions_listing
    ON sessions (business_id, livemode, dialect, created_at DESC, session_id DESC);

-- The customer and the order (reference) filters pick out a few rows of a business's many: each
-- has its range of its own, in page order, so a page of one customer's sessions is one scan too
-- and never walks the business's other sessions. One customer index serves both dialects: a
-- Payviox row has no customer_id, so it is keyed by its customer; a Xendit row by its cust- id
-- (by its customer reference when it has no customer; the statement then also asks customer_id).
CREATE INDEX IF NOT EXISTS sessions_listing_by_customer
    ON sessions (business_id, livemode, dialect, (coalesce(customer_id, customer)), created_at DESC, session_id DESC);

CREATE INDEX IF NOT EXISTS sessions_listing_by_order
    ON sessions (business_id, livemode, dialect, order_id, created_at DESC, session_id DESC);
