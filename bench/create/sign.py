"""Signed sandbox webhooks for bench/create, made before their payments: reads session ids on
stdin and writes "<session id>\t<Webhook-Signature>\t<body>" lines. Each body reports the
session's first sandbox_card attempt as succeeded (10000 USD, what the benchmark's sessions ask
for), signed now with the sandbox's webhook secret (argv[1]). The reference is derived as the
service derives it (Grains/Sessions/AttemptKeys.cs, Grains/Payments/SandboxProvider.cs); if that
derivation changes, the webhooks answer 404 and the runner's notes say so."""
import hashlib
import hmac
import json
import sys
import time

secret = sys.argv[1].encode()
now = str(int(time.time()))
for session_id in sys.stdin.read().split():
    attempt = "att_" + hashlib.sha256(f"{session_id}/1/sandbox_card".encode()).hexdigest()[:32]
    reference = "sbx_" + hmac.new(secret, attempt.encode(), hashlib.sha256).hexdigest()[:24]
    body = json.dumps({"type": "payment.succeeded", "reference": reference, "payment_id": "pay_" + reference,
                       "amount": 10000, "currency": "USD"}, separators=(",", ":"))
    mac = hmac.new(secret, (now + "." + body).encode(), hashlib.sha256).hexdigest()
    print(f"{session_id}\tt={now},v1={mac}\t{body}")
