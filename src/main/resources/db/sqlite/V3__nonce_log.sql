-- Nonces become an append-only log (rows in time order, an index that only grows at its end):
-- the daemon checks them in memory and only appends here, where random inserts into a
-- key-ordered table cost a page write and often a page read per call.

CREATE TABLE nonce_log (seen_at INTEGER NOT NULL, keyid TEXT NOT NULL, nonce TEXT NOT NULL);
CREATE INDEX nonce_log_seen_at ON nonce_log (seen_at);
INSERT INTO nonce_log (seen_at, keyid, nonce) SELECT seen_at, keyid, nonce FROM nonces ORDER BY seen_at;
DROP TABLE nonces;
