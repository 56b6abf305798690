-- Gatehouse's embedded state.db, first schema. Each file here brings state.db one version up,
-- in one transaction (store/SqliteStateDb). Released migrations are never edited; a change is
-- a new V<n>__*.sql. Homes made before Flyway versioned themselves with PRAGMA user_version,
-- which still follows the version, so a Gatehouse of that time refuses a newer file.

CREATE TABLE nonces (keyid TEXT NOT NULL, nonce TEXT NOT NULL, seen_at INTEGER NOT NULL, PRIMARY KEY (keyid, nonce)) WITHOUT ROWID;
CREATE INDEX nonces_seen_at ON nonces (seen_at);
CREATE TABLE agent_usage (name TEXT PRIMARY KEY, last_used INTEGER NOT NULL);
