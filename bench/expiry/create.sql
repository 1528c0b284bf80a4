-- What creating a session costs the database today: the Created event and the sessions row, one transaction.
\set n random(1, 2000000000)
BEGIN;
INSERT INTO session_events (stream_id, version, event_id, type, data, occurred_at)
VALUES ('b' || :client_id || '_' || :n, 1, gen_random_uuid(), 'Created', '{"amount":10000}', now())
ON CONFLICT DO NOTHING;
INSERT INTO sessions (session_id, business_id, order_id, customer, status, amount, currency, created_at, expires_at, version)
VALUES ('b' || :client_id || '_' || :n, 'bench', 'o' || :client_id || '_' || :n, 'c', 'created', 10000, 'USD', now(), now() + interval '24 hours', 1)
ON CONFLICT DO NOTHING;
COMMIT;
