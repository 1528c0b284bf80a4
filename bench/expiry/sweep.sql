-- One page of the expiry sweep: open sessions past their time, oldest first.
SELECT session_id FROM sessions
WHERE status IN ('created', 'payment_initiated') AND expires_at <= now()
ORDER BY expires_at
LIMIT 500;
