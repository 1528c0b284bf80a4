-- Sub-accounts and customers, for the Xendit-style dialect (issue 10).
-- Applied once by the migrator at start-up; every statement is also safe to run again.

-- A business may be a sub-account of one parent business, fixed when it is created. Only the
-- sub-account's business grain writes its row (as for every business); the parent's grain keeps
-- the set of its sub-accounts in memory and re-reads this column only when it adopts one.
ALTER TABLE businesses ADD COLUMN IF NOT EXISTS parent_business_id text;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'businesses_parent_fkey') THEN
        ALTER TABLE businesses
            ADD CONSTRAINT businesses_parent_fkey FOREIGN KEY (parent_business_id) REFERENCES businesses (business_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'businesses_parent_not_self') THEN
        ALTER TABLE businesses
            ADD CONSTRAINT businesses_parent_not_self CHECK (parent_business_id IS NULL OR parent_business_id <> business_id);
    END IF;
END
$$;

CREATE INDEX IF NOT EXISTS businesses_parent_idx ON businesses (parent_business_id) WHERE parent_business_id IS NOT NULL;

-- Sub-accounts are one level deep: the grain refuses a parent that is itself a sub-account, and
-- this trigger makes the database refuse it too (a parent with a parent, or a sub-account that
-- already has sub-accounts of its own).
CREATE OR REPLACE FUNCTION businesses_one_level() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_business_id IS NOT NULL AND (
        EXISTS (SELECT 1 FROM businesses WHERE business_id = NEW.parent_business_id AND parent_business_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM businesses WHERE parent_business_id = NEW.business_id))
    THEN
        RAISE EXCEPTION 'sub-accounts are one level deep: % cannot be a sub-account of %', NEW.business_id, NEW.parent_business_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS businesses_one_level ON businesses;
CREATE TRIGGER businesses_one_level BEFORE INSERT OR UPDATE OF parent_business_id ON businesses
    FOR EACH ROW EXECUTE FUNCTION businesses_one_level();

-- Customers are records of a business, in one mode (test and live are separate worlds, as for
-- order ids): `cust-<uuid>` ids, and the merchant's reference_id unique per business and mode,
-- which is what makes concurrent creates with one reference yield one customer. The details are
-- the typed record the front door validated, as JSON (Xendit's field names).
CREATE TABLE IF NOT EXISTS customers (
    customer_id  text        NOT NULL PRIMARY KEY
                 CHECK (customer_id ~ '^cust-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
    business_id  text        NOT NULL,
    livemode     boolean     NOT NULL,
    reference_id text        NOT NULL CHECK (length(reference_id) BETWEEN 1 AND 255),
    created_at   timestamptz NOT NULL,
    details      jsonb       NOT NULL,
    CONSTRAINT customers_business_reference_key UNIQUE (business_id, livemode, reference_id)
);
