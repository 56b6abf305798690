-- The shared vault (docs/storage.md, "The vault on PostgreSQL"): the vault's image exactly as
-- vault.gh would hold it (docs/vault-format.md: public metadata and ciphertext, MAC'd as a
-- whole by a key only the master key's holder has), one row per generation. The newest row
-- is the vault; a write inserts the next generation and deletes the older rows in the same
-- transaction, so a removed secret or a retired data key leaves the table as it leaves the
-- file. The database never sees a plaintext or a key.
-- Released migrations are never edited; a change is a new V<n>__*.sql.

CREATE TABLE vault_images (
    generation BIGINT PRIMARY KEY CHECK (generation >= 1),
    image BYTEA NOT NULL
);
