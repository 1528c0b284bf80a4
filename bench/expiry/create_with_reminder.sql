-- The same create with a reminder per session, as Orleans' ADO.NET reminder table stores it:
-- one more row, written in its own round trip (the reminder service is a separate call).
\set n random(1, 2000000000)
BEGIN;
INSERT INTO session_events (stream_id, version, event_id, type, data, occurred_at)
VALUES ('r' || :client_id || '_' || :n, 1, gen_random_uuid(), 'Created', '{"amount":10000}', now())
ON CONFLICT DO NOTHING;
INSERT INTO sessions (session_id, business_id, order_id, customer, status, amount, currency, created_at, expires_at, version)
VALUES ('r' || :client_id || '_' || :n, 'bench', 'p' || :client_id || '_' || :n, 'c', 'created', 10000, 'USD', now(), now() + interval '24 hours', 1)
ON CONFLICT DO NOTHING;
COMMIT;
INSERT INTO orleans_reminders (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
VALUES ('bench', 'paymentsession/r' || :client_id || '_' || :n, 'expire', now() + interval '24 hours', 60000, :n, 0)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE SET start_time = excluded.start_time, version = orleans_reminders.version + 1;
