-- The replay record of signed requests shared by every replica (broker/PgNonces): one row per
-- (key id, nonce) used within the keep time and its margin, inserted by the use itself, so a
-- request replayed to any replica finds the row and is refused. The key is the use's replay
-- digest, the first 16 bytes of SHA-256(key id, 0, nonce), as the audit entries carry it:
-- the nonce is the signer's text and is never stored.
-- created: the signature's created, epoch seconds. seen_at: the using replica's clock at the
-- use, epoch milliseconds; rows older than the keep time and margin are pruned by it.

CREATE TABLE agent_nonces (
    replay BYTEA PRIMARY KEY CHECK (octet_length(replay) = 16),
    kid TEXT NOT NULL,
    created BIGINT NOT NULL,
    seen_at BIGINT NOT NULL);
CREATE INDEX agent_nonces_seen_at ON agent_nonces (seen_at);
