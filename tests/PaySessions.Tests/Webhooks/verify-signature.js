// A merchant's check of Payviox's `Signature` header, in Node.js, following the steps of Payviox's
// webhook documentation (webhooks/integration.mdx, "Verification Algorithm"): take the raw request
// body as a UTF-8 string, compute the HMAC-SHA256 of it keyed with the webhook token, hex-encode
// it, and compare it with the header in constant time. Written for this test, not copied.
//
// Usage: node verify-signature.js <file holding the raw body> <Signature header>
//        (the token in PAYVIOX_WEBHOOK_TOKEN). Prints "valid" or "invalid".
'use strict';
const crypto = require('crypto');
const fs = require('fs');

const rawBody = fs.readFileSync(process.argv[2]).toString('utf8');
const header = process.argv[3] || '';
const token = process.env.PAYVIOX_WEBHOOK_TOKEN;

const expected = Buffer.from(crypto.createHmac('sha256', token).update(rawBody).digest('hex'));
const received = Buffer.from(header);
// timingSafeEqual refuses buffers of different lengths, so a wrong length is answered first.
const valid = expected.length === received.length && crypto.timingSafeEqual(expected, received);
process.stdout.write(valid ? 'valid' : 'invalid');
