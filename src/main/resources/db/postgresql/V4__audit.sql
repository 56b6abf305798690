-- The audit log on PostgreSQL, shared by every replica (docs/storage.md, "Audit across
-- replicas"; the format is docs/audit-format.md's, unchanged). Appends are serialized by a
-- transaction-scoped advisory lock (PgAuditLog.AUDIT_LOCK), not by these tables' locks.
-- Released migrations are never edited; a change is a new V<n>__*.sql.

-- One row per entry: the stored line exactly as a segment holds it, without its newline
-- (printable ASCII, kept as bytes so nothing between here and an export can re-encode it).
CREATE TABLE audit_entries (seq BIGINT PRIMARY KEY CHECK (seq >= 0), line BYTEA NOT NULL);

-- Where the log ends, so that a replica appends without reading the log: the size, the hash
-- of the last entry, the compact range's peaks (32 bytes each, largest first, one per set bit
-- of the size), the vault state the entries state (checkpoint extension lines, newline
-- separated), the verifier key every checkpoint must be signed with, and the latest signed
-- checkpoint's size, time (epoch ms) and note.
CREATE TABLE audit_head (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL CHECK (size >= 0),
    last_hash TEXT NOT NULL,
    peaks BYTEA NOT NULL,
    vault TEXT NOT NULL,
    verifier TEXT,
    checkpoint_size BIGINT NOT NULL,
    checkpoint_at BIGINT,
    checkpoint_note TEXT);
INSERT INTO audit_head (id, size, last_hash, peaks, vault, checkpoint_size)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', ''::bytea, '', 0);

-- Every checkpoint signed, by size (a later one at the same size is not stored again).
CREATE TABLE audit_checkpoints (size BIGINT PRIMARY KEY, note TEXT NOT NULL, signed_at BIGINT NOT NULL);
