-- Every registered business, so operators can list them (`merchants list`): grain storage holds
-- each business's settings but cannot be enumerated. Only the business grain writes here, when
-- a business registers (INSERT … ON CONFLICT DO NOTHING, so registering again changes nothing).
CREATE TABLE IF NOT EXISTS businesses (
    business_id   text        NOT NULL PRIMARY KEY,
    registered_at timestamptz NOT NULL
);
