-- The ASP.NET Core data-protection key ring, shared by every node of a deployment (issue 11, for
-- issue 14's cluster): the hosted page's antiforgery token issued by one node must be accepted by
-- any other. One row per key, as the framework writes it (an XML element), the key material inside
-- it sealed with the active PaySessions:Secrets key before it is stored. Keys are never updated or
-- deleted by the service: the framework expires them itself (90 days by default) and keeps reading
-- old ones so that old tokens still verify until they lapse. Safe to run again.
CREATE TABLE IF NOT EXISTS data_protection_keys (
    friendly_name text PRIMARY KEY,
    xml           text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
