-- How a provider's webhook finds its session: each payment attempt's provider reference,
-- written in the same transaction as the PaymentInitiated event that started the attempt.
CREATE TABLE IF NOT EXISTS provider_references (
    provider    text        NOT NULL,
    reference   text        NOT NULL,
    session_id  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT provider_references_pkey PRIMARY KEY (provider, reference)
);
