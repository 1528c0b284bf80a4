-- Every registered business, so operators can list them (`merchants list`): grain storage holds
-- each business's settings but cannot be enumerated. Only the business grain writes here, when
-- a business registers (INSERT … ON CONFLICT DO NOTHING, so registering again changes nothing).
CREATE TABLE IF NOT EXISTS businesses (
    business_id   text        NOT NULL PRIMARY KEY,
    registered_at timestamptz NOT NULL
);

-- Businesses registered before this table existed: their grain state rows ("business" is the
-- BusinessGrain's grain type). The time of their last write stands in for their registration;
-- `merchants list` shows the creation time the business itself holds.
INSERT INTO businesses (business_id, registered_at)
SELECT grain_id_extension_string, min(modified_on)
FROM orleans_storage
WHERE grain_type_string = 'business'
  AND grain_id_extension_string IS NOT NULL
  AND payload_binary IS NOT NULL
GROUP BY grain_id_extension_string
ON CONFLICT (business_id) DO NOTHING;
