-- =============================================================================
-- 0001_orleans_providers.sql
--
-- Schema and stored queries for the three Orleans ADO.NET providers PaySessions
-- uses with PostgreSQL (ADO.NET invariant "Npgsql"):
--   * clustering  (Microsoft.Orleans.Clustering.AdoNet)  - membership table
--   * reminders   (Microsoft.Orleans.Reminders.AdoNet)   - reminder table
--   * persistence (Microsoft.Orleans.Persistence.AdoNet) - grain state
--
-- The provider packages do not ship SQL. They read their SQL at start-up with
--   SELECT QueryKey, QueryText FROM OrleansQuery
-- (unquoted, so PostgreSQL folds it to orleansquery) and run each QueryText
-- with named @Parameters, which Npgsql rewrites to positional ones.
--
-- This file was written for this project against the provider contract as
-- found in the 10.4.2 assemblies (DbStoredQueries / RelationalOrleansQueries /
-- AdoNetGrainStorage): it is not a copy of the upstream scripts. Query keys:
--   clustering : GatewaysQueryKey, MembershipReadRowKey, MembershipReadAllKey,
--                InsertMembershipVersionKey, InsertMembershipKey,
--                UpdateMembershipKey, UpdateIAmAlivetimeKey,
--                DeleteMembershipTableEntriesKey, CleanupDefunctSiloEntriesKey,
--                CleanupDefunctSiloEntryKey
--   reminders  : ReadReminderRowsKey, ReadReminderRowKey, ReadRangeRows1Key,
--                ReadRangeRows2Key, UpsertReminderRowKey, DeleteReminderRowKey,
--                DeleteReminderRowsKey
--   storage    : WriteToStorageKey, ReadFromStorageKey, ClearStorageKey,
--                DeleteStorageKey
--
-- Parameter types as Orleans binds them (so the column types below match):
--   strings -> text; Port, Generation, Status, ProxyPort, Version, hashes and
--   GrainStateVersion -> integer (uint hashes are cast to signed int);
--   GrainIdN0/N1 -> bigint; Period -> integer, or bigint above int.MaxValue
--   (stored as bigint milliseconds); times -> DateTime in UTC (timestamptz);
--   PayloadBinary -> bytea.
-- Result columns are aliased with quoted names spelled as Orleans reads them.
--
-- Run once by DbUp inside a transaction, but safe to run again: tables and
-- indexes use IF NOT EXISTS and the query rows are upserted. Query texts are
-- dollar-quoted with a bare double dollar (no tag), which the DbUp variable
-- substitution leaves alone; do not add tagged dollar quotes to this file.
-- =============================================================================


-- -----------------------------------------------------------------------------
-- Query catalogue read by all three providers.
-- -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);


-- -----------------------------------------------------------------------------
-- Clustering.
-- One version row per cluster (DeploymentId = ClusterId). Its version is the
-- etag of the membership table: every insert or update of a member must present
-- the current value and bumps it by one in the same statement.
-- -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS orleans_membership_version
(
    deployment_id text        NOT NULL PRIMARY KEY,
    version       integer     NOT NULL DEFAULT 0,
    changed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS orleans_membership
(
    deployment_id   text        NOT NULL
        REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE,
    address         text        NOT NULL,
    port            integer     NOT NULL,
    generation      integer     NOT NULL,
    silo_name       text        NOT NULL,
    host_name       text        NOT NULL,
    status          integer     NOT NULL,   -- SiloStatus: 3 = Active, 6 = Dead
    proxy_port      integer     NOT NULL DEFAULT 0,
    suspect_times   text        NULL,       -- 'silo,date|silo,date|...'
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);


-- -----------------------------------------------------------------------------
-- Reminders. version is the etag of the reminder; grain_hash is the uniform
-- hash of the grain cast to a signed integer, used by the range reads.
-- -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS orleans_reminders
(
    service_id    text        NOT NULL,
    grain_id      text        NOT NULL,
    reminder_name text        NOT NULL,
    start_time    timestamptz NOT NULL,
    period        bigint      NOT NULL,     -- milliseconds
    grain_hash    integer     NOT NULL,
    version       integer     NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);

CREATE INDEX IF NOT EXISTS ix_orleans_reminders_hash
    ON orleans_reminders (service_id, grain_hash);


-- -----------------------------------------------------------------------------
-- Grain storage. The state of a grain is identified by all of ServiceId,
-- GrainTypeHash, GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeString and
-- GrainIdExtensionString (null for keys without an extension); version is the
-- etag of the state. The unique index makes a racing first write fail instead of
-- creating a second row; it hashes the two strings so that long keys stay
-- within the b-tree entry size limit, and treats NULL extensions as equal
-- (NULLS NOT DISTINCT, PostgreSQL 15+).
-- -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS orleans_storage
(
    service_id                text        NOT NULL,
    grain_type_hash           integer     NOT NULL,
    grain_id_hash             integer     NOT NULL,
    grain_id_n0               bigint      NOT NULL,
    grain_id_n1               bigint      NOT NULL,
    grain_type_string         text        NOT NULL,
    grain_id_extension_string text        NULL,
    payload_binary            bytea       NULL,  -- NULL once the state is cleared
    version                   integer     NOT NULL,
    modified_on               timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS ux_orleans_storage_grain
    ON orleans_storage (service_id, grain_type_hash, grain_id_hash,
                        grain_id_n0, grain_id_n1,
                        md5(grain_type_string), md5(grain_id_extension_string))
    NULLS NOT DISTINCT;


-- -----------------------------------------------------------------------------
-- Clustering queries.
-- -----------------------------------------------------------------------------
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- (DeploymentId, Status) -> Address, ProxyPort, Generation of live gateways.
('GatewaysQueryKey', $$
SELECT m.address    AS "Address",
       m.proxy_port AS "ProxyPort",
       m.generation AS "Generation"
FROM orleans_membership m
WHERE m.deployment_id = @DeploymentId
  AND m.status = @Status
  AND m.proxy_port > 0
$$),

-- (DeploymentId, Address, Port, Generation) -> the version row, joined with the
-- member when it exists (member columns are NULL otherwise; Orleans takes a
-- NULL StartTime as "no member" and reads the etag from Version).
('MembershipReadRowKey', $$
SELECT v.version         AS "Version",
       m.address         AS "Address",
       m.port            AS "Port",
       m.generation      AS "Generation",
       m.silo_name       AS "SiloName",
       m.host_name       AS "HostName",
       m.status          AS "Status",
       m.proxy_port      AS "ProxyPort",
       m.suspect_times   AS "SuspectTimes",
       m.start_time      AS "StartTime",
       m.i_am_alive_time AS "IAmAliveTime"
FROM orleans_membership_version v
LEFT JOIN orleans_membership m
       ON m.deployment_id = v.deployment_id
      AND m.address = @Address
      AND m.port = @Port
      AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId
$$),

-- (DeploymentId) -> as above, one row per member, or the bare version row.
('MembershipReadAllKey', $$
SELECT v.version         AS "Version",
       m.address         AS "Address",
       m.port            AS "Port",
       m.generation      AS "Generation",
       m.silo_name       AS "SiloName",
       m.host_name       AS "HostName",
       m.status          AS "Status",
       m.proxy_port      AS "ProxyPort",
       m.suspect_times   AS "SuspectTimes",
       m.start_time      AS "StartTime",
       m.i_am_alive_time AS "IAmAliveTime"
FROM orleans_membership_version v
LEFT JOIN orleans_membership m
       ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId
$$),

-- (DeploymentId) -> one boolean: true when the version row was created now.
('InsertMembershipVersionKey', $$
WITH created AS (
    INSERT INTO orleans_membership_version (deployment_id)
    VALUES (@DeploymentId)
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM created) AS "Inserted"
$$),

-- (DeploymentId, Address, Port, Generation, SiloName, HostName, Status,
--  ProxyPort, StartTime, IAmAliveTime, Version) -> one boolean.
-- Bumps the table version only if it still equals @Version and the silo is
-- not there yet, then adds the member; false (nothing changed) otherwise.
('InsertMembershipKey', $$
WITH bumped AS (
    UPDATE orleans_membership_version v
       SET version = v.version + 1,
           changed_at = now()
     WHERE v.deployment_id = @DeploymentId
       AND v.version = @Version
       AND NOT EXISTS (SELECT 1
                         FROM orleans_membership x
                        WHERE x.deployment_id = @DeploymentId
                          AND x.address = @Address
                          AND x.port = @Port
                          AND x.generation = @Generation)
    RETURNING v.deployment_id
), added AS (
    INSERT INTO orleans_membership
        (deployment_id, address, port, generation, silo_name, host_name,
         status, proxy_port, suspect_times, start_time, i_am_alive_time)
    SELECT b.deployment_id, @Address, @Port, @Generation, @SiloName, @HostName,
           @Status, @ProxyPort, NULL, @StartTime, @IAmAliveTime
      FROM bumped b
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM added) AS "Inserted"
$$),

-- (DeploymentId, Address, Port, Generation, Status, SuspectTimes,
--  IAmAliveTime, Version) -> one boolean.
-- Same optimistic check on the table version; the member must exist.
('UpdateMembershipKey', $$
WITH bumped AS (
    UPDATE orleans_membership_version v
       SET version = v.version + 1,
           changed_at = now()
     WHERE v.deployment_id = @DeploymentId
       AND v.version = @Version
       AND EXISTS (SELECT 1
                     FROM orleans_membership x
                    WHERE x.deployment_id = @DeploymentId
                      AND x.address = @Address
                      AND x.port = @Port
                      AND x.generation = @Generation)
    RETURNING v.deployment_id
), changed AS (
    UPDATE orleans_membership m
       SET status = @Status,
           suspect_times = @SuspectTimes,
           i_am_alive_time = @IAmAliveTime
      FROM bumped b
     WHERE m.deployment_id = b.deployment_id
       AND m.address = @Address
       AND m.port = @Port
       AND m.generation = @Generation
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM changed) AS "Updated"
$$),

-- (DeploymentId, Address, Port, Generation, IAmAliveTime): heartbeat only,
-- does not touch the table version.
('UpdateIAmAlivetimeKey', $$
UPDATE orleans_membership
   SET i_am_alive_time = @IAmAliveTime
 WHERE deployment_id = @DeploymentId
   AND address = @Address
   AND port = @Port
   AND generation = @Generation
$$),

-- (DeploymentId): drops the version row of the cluster; members go with it
-- (ON DELETE CASCADE).
('DeleteMembershipTableEntriesKey', $$
DELETE FROM orleans_membership_version
 WHERE deployment_id = @DeploymentId
$$),

-- (DeploymentId, IAmAliveTime = cut-off): bulk removal of Dead members that
-- started and last reported before the cut-off and carry no suspicions. Used
-- by the provider only when CleanupDefunctSiloEntryKey is absent.
('CleanupDefunctSiloEntriesKey', $$
DELETE FROM orleans_membership
 WHERE deployment_id = @DeploymentId
   AND status = 6
   AND i_am_alive_time < @IAmAliveTime
   AND start_time < @IAmAliveTime
   AND COALESCE(suspect_times, '') = ''
$$),

-- (DeploymentId, Address, Port, Generation, StartTime, IAmAliveTime,
--  SuspectTimes): removes one Dead member, only if it still holds exactly the
-- values the provider read (so a concurrent change keeps the row).
('CleanupDefunctSiloEntryKey', $$
DELETE FROM orleans_membership
 WHERE deployment_id = @DeploymentId
   AND status = 6
   AND address = @Address
   AND port = @Port
   AND generation = @Generation
   AND start_time = @StartTime
   AND i_am_alive_time = @IAmAliveTime
   AND COALESCE(suspect_times, '') = COALESCE(@SuspectTimes, '')
$$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;


-- -----------------------------------------------------------------------------
-- Reminder queries. Reads return GrainId, ReminderName, StartTime, Period
-- (bigint ms) and Version; no row means no reminder.
-- -----------------------------------------------------------------------------
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- (ServiceId, GrainId)
('ReadReminderRowsKey', $$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId
  AND grain_id = @GrainId
$$),

-- (ServiceId, GrainId, ReminderName)
('ReadReminderRowKey', $$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId
  AND grain_id = @GrainId
  AND reminder_name = @ReminderName
$$),

-- (ServiceId, BeginHash, EndHash): ring range (BeginHash, EndHash] that does
-- not wrap in signed order (the provider picks this key when
-- (int)BeginHash < (int)EndHash).
('ReadRangeRows1Key', $$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId
  AND grain_hash > @BeginHash
  AND grain_hash <= @EndHash
$$),

-- (ServiceId, BeginHash, EndHash): the wrapping range, otherwise
-- (BeginHash = EndHash covers the whole ring).
('ReadRangeRows2Key', $$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId
  AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)
$$),

-- (ServiceId, GrainHash, GrainId, ReminderName, StartTime, Period) -> Version.
-- A new reminder starts at version 0; each later upsert bumps it.
('UpsertReminderRowKey', $$
INSERT INTO orleans_reminders
    (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
VALUES
    (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
   SET start_time = EXCLUDED.start_time,
       period     = EXCLUDED.period,
       grain_hash = EXCLUDED.grain_hash,
       version    = orleans_reminders.version + 1
RETURNING version AS "Version"
$$),

-- (ServiceId, GrainId, ReminderName, Version) -> one boolean: deleted only if
-- the version still matches.
('DeleteReminderRowKey', $$
WITH removed AS (
    DELETE FROM orleans_reminders
     WHERE service_id = @ServiceId
       AND grain_id = @GrainId
       AND reminder_name = @ReminderName
       AND version = @Version
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM removed) AS "Deleted"
$$),

-- (ServiceId)
('DeleteReminderRowsKey', $$
DELETE FROM orleans_reminders
 WHERE service_id = @ServiceId
$$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;


-- -----------------------------------------------------------------------------
-- Grain storage queries. Every one gets GrainIdHash, GrainIdN0, GrainIdN1,
-- GrainTypeHash, GrainTypeString, GrainIdExtensionString and ServiceId, and
-- compares all seven. A version conflict returns no row, which the provider
-- turns into an InconsistentStateException.
-- -----------------------------------------------------------------------------
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- (+ nothing) -> PayloadBinary (NULL after a clear), Version; at most one row.
('ReadFromStorageKey', $$
SELECT s.payload_binary AS "PayloadBinary",
       s.version        AS "Version"
FROM orleans_storage s
WHERE s.service_id = @ServiceId
  AND s.grain_type_hash = @GrainTypeHash
  AND s.grain_id_hash = @GrainIdHash
  AND s.grain_id_n0 = @GrainIdN0
  AND s.grain_id_n1 = @GrainIdN1
  AND s.grain_type_string = @GrainTypeString
  AND s.grain_id_extension_string IS NOT DISTINCT FROM @GrainIdExtensionString
$$),

-- (+ GrainStateVersion, PayloadBinary) -> NewGrainStateVersion.
-- GrainStateVersion NULL: first write, inserts version 1 unless a row exists.
-- Otherwise: overwrites only the row at that version and returns version + 1.
('WriteToStorageKey', $$
WITH updated AS (
    UPDATE orleans_storage s
       SET payload_binary = @PayloadBinary,
           version = s.version + 1,
           modified_on = now()
     WHERE @GrainStateVersion IS NOT NULL
       AND s.version = @GrainStateVersion
       AND s.service_id = @ServiceId
       AND s.grain_type_hash = @GrainTypeHash
       AND s.grain_id_hash = @GrainIdHash
       AND s.grain_id_n0 = @GrainIdN0
       AND s.grain_id_n1 = @GrainIdN1
       AND s.grain_type_string = @GrainTypeString
       AND s.grain_id_extension_string IS NOT DISTINCT FROM @GrainIdExtensionString
    RETURNING s.version
), inserted AS (
    INSERT INTO orleans_storage
        (service_id, grain_type_hash, grain_id_hash, grain_id_n0, grain_id_n1,
         grain_type_string, grain_id_extension_string, payload_binary, version)
    SELECT @ServiceId, @GrainTypeHash, @GrainIdHash, @GrainIdN0, @GrainIdN1,
           @GrainTypeString, @GrainIdExtensionString, @PayloadBinary, 1
     WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version
)
SELECT version AS "NewGrainStateVersion" FROM updated
UNION ALL
SELECT version FROM inserted
$$),

-- (+ GrainStateVersion) -> new version in the first column. Keeps the row
-- with a NULL payload (DeleteStateOnClear = false).
('ClearStorageKey', $$
UPDATE orleans_storage s
   SET payload_binary = NULL,
       version = s.version + 1,
       modified_on = now()
 WHERE s.version = @GrainStateVersion
   AND s.service_id = @ServiceId
   AND s.grain_type_hash = @GrainTypeHash
   AND s.grain_id_hash = @GrainIdHash
   AND s.grain_id_n0 = @GrainIdN0
   AND s.grain_id_n1 = @GrainIdN1
   AND s.grain_type_string = @GrainTypeString
   AND s.grain_id_extension_string IS NOT DISTINCT FROM @GrainIdExtensionString
RETURNING s.version AS "NewGrainStateVersion"
$$),

-- (+ GrainStateVersion) -> version + 1 in the first column. Removes the row
-- (DeleteStateOnClear = true).
('DeleteStorageKey', $$
DELETE FROM orleans_storage s
 WHERE s.version = @GrainStateVersion
   AND s.service_id = @ServiceId
   AND s.grain_type_hash = @GrainTypeHash
   AND s.grain_id_hash = @GrainIdHash
   AND s.grain_id_n0 = @GrainIdN0
   AND s.grain_id_n1 = @GrainIdN1
   AND s.grain_type_string = @GrainTypeString
   AND s.grain_id_extension_string IS NOT DISTINCT FROM @GrainIdExtensionString
RETURNING s.version + 1 AS "NewGrainStateVersion"
$$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
