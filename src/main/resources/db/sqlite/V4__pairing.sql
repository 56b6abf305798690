-- Chat pairing (chat.PairingStore). At most one pending code per (channel, sender): the unique
-- key makes a second one impossible even if two writers raced past the check.

CREATE TABLE pairing_pending (code TEXT PRIMARY KEY, channel TEXT NOT NULL, sender TEXT NOT NULL, sender_name TEXT, ref TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, UNIQUE (channel, sender));
CREATE INDEX pairing_pending_channel ON pairing_pending (channel, expires_at);
CREATE INDEX pairing_pending_expires ON pairing_pending (expires_at);
CREATE TABLE pairing_allowed (channel TEXT NOT NULL, sender TEXT NOT NULL, sender_name TEXT, approved_at INTEGER NOT NULL, approved_by TEXT NOT NULL, PRIMARY KEY (channel, sender)) WITHOUT ROWID;
-- When codes were issued, for the per-sender rate limit; rows older than its window are deleted.
CREATE TABLE pairing_issued (channel TEXT NOT NULL, sender TEXT NOT NULL, issued_at INTEGER NOT NULL);
CREATE INDEX pairing_issued_sender ON pairing_issued (channel, sender, issued_at);
CREATE INDEX pairing_issued_at ON pairing_issued (issued_at);
